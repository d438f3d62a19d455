#ifndef VM_PARSE_ERRORS_H
#define VM_PARSE_ERRORS_H
#include "lang/ast.h"
/* expect[k] is nonzero for each token code k the parser could have taken instead. */
void vm_syntax_error(ParseCtx *c, int major, Token t, const unsigned char *expect, int ntok);
const char *vm_token_desc(int major);
/* The parser's stack is full: report it at the token being read. */
void vm_stack_overflow(ParseCtx *c);
#endif
