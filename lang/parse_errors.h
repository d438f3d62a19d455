#ifndef VM_PARSE_ERRORS_H
#define VM_PARSE_ERRORS_H
#include "lang/ast.h"
void vm_syntax_error(ParseCtx *c, int major, Token t);
const char *vm_token_desc(int major);
#endif
