#ifndef VM_LEXER_H
#define VM_LEXER_H
#include "lang/ast.h"
/* Special results besides the grammar's token codes (parser.h). */
enum { LEX_EOF = 0, LEX_STRAY = -1, LEX_UNTERMINATED = -2, LEX_BIGINT = -3, LEX_BIGREAL = -4 };
/* Token starting at or after src + off (src NUL-terminated); t->off/len its span. */
int vm_lex(const char *src, int off, Token *t);
#endif
