/* The .vmod grammar (docs: ../shared/design/vmod-language.md).  Actions are one
 * builder call each (lang/ast.c); the logic lives in testable C.  The expression
 * grammar is written in layers rather than with %left declarations so that a bound
 * (`<lower=E>`) can take an expression without comparisons: its `>` ends it. */
%name vm_parser

%extra_context { ParseCtx *ctx }
%token_type { Token }
/* deep enough for a 1,400-branch else-if chain; bounded, because every pass over
 * the tree recurses */
%stack_size 10000
%stack_overflow { vm_stack_overflow(ctx); }

%include {
#include <assert.h>
#include "lang/ast.h"
#include "lang/parse_errors.h"
}

/* The tokens this state could shift: the message says what was expected. */
%syntax_error {
    unsigned char expect[YYNTOKEN];
    for (int i = 0; i < YYNTOKEN; i++)
        expect[i] = yy_find_shift_action((YYCODETYPE)i, yypParser->yytos->stateno) != YY_ERROR_ACTION;
    vm_syntax_error(ctx, yymajor, TOKEN, expect, YYNTOKEN);
}

%token DATA PARAM LET GEN FOR IN IF ELSE WHILE TARGET LOWER UPPER ARRAY
       INT REAL VECTOR ROW_VECTOR MATRIX SIMPLEX ORDERED POSITIVE_ORDERED
       CHOLESKY_FACTOR_CORR COV_MATRIX CORR_MATRIX
       CHOLESKY_FACTOR_COV UNIT_VECTOR SUM_TO_ZERO_VECTOR
       IDENT INTLIT REALLIT
       LPAREN RPAREN LBRACK RBRACK LBRACE RBRACE COMMA SEMI COLON QUESTION BAR TILDE
       ASSIGN PLUSEQ MINUSEQ TIMESEQ DIVEQ
       PLUS MINUS TIMES DIVIDE MOD POW EMUL EDIV LDIV TRANSPOSE
       LT LE GT GE EQ NE AND OR NOT
       VOID RETURN STRING.

/* dangling else: bind to the nearest if */
%nonassoc IFX.
%nonassoc ELSE.

%type topt {Expr *}
%type expr {Expr *}
%type cond_expr {Expr *}
%type or_expr {Expr *}
%type and_expr {Expr *}
%type eq_expr {Expr *}
%type rel_expr {Expr *}
%type add_expr {Expr *}
%type mul_expr {Expr *}
%type unary_expr {Expr *}
%type pow_expr {Expr *}
%type postfix {Expr *}
%type primary {Expr *}
%type exprs {ExprList}
%type args {ExprList}
%type indexes {IndexList}
%type type {TypeSpec *}
%type btype {TypeSpec *}
%type sized {ExprList}
%type opt_init {Expr *}
%type stmt {Stmt *}
%type decl {Stmt *}
%type stmts {StmtList}
%type assignop {int}
%type lower {Expr *}
%type upper {Expr *}
%type affine {Affine}

program ::= items.
items ::= .
items ::= items item.
item ::= decl(D).               { ast_program_add(ctx, D); }
item ::= stmt(S).               { ast_program_add(ctx, S); }
item ::= fundef(F).             { ast_fun_add(ctx, F); }

/* ---- user-defined functions (Stan's syntax): argument and return types have no
 * sizes; `type IDENT (` is told from a declaration by the '(' ---- */
%type fundef {FunDef *}
%type fsig {FunDef *}
%type fhead {FunDef *}
%type fparams {FunDef *}
%type ptype {TypeSpec *}
%type utype {TypeSpec *}
%type ubase {TypeSpec *}
%type uelem {TypeSpec *}
%type commas {int}
fundef(F) ::= fsig(H) SEMI(E).                      { F = ast_fun_end(ctx, H, NULL, E); }
fundef(F) ::= fsig(H) LBRACE(O) RBRACE(C).          { F = ast_fun_end(ctx, H, ast_block(ctx, O, (StmtList){0}, C), C); }
fundef(F) ::= fsig(H) LBRACE(O) stmts(L) RBRACE(C). { F = ast_fun_end(ctx, H, ast_block(ctx, O, L, C), C); }
fsig(F) ::= fhead(H) RPAREN.                        { F = H; }
fsig(F) ::= fparams(H) RPAREN.                      { F = H; }
fhead(F) ::= type(T) IDENT(N) LPAREN.               { F = ast_fun(ctx, T, N, N); }
fhead(F) ::= utype(T) IDENT(N) LPAREN.              { F = ast_fun(ctx, T, N, N); }
fhead(F) ::= VOID(K) IDENT(N) LPAREN.               { F = ast_fun(ctx, NULL, K, N); }
fparams(F) ::= fhead(H) ptype(T) IDENT(N).          { F = ast_fun_param(ctx, H, T, N, 0); }
fparams(F) ::= fhead(H) DATA ptype(T) IDENT(N).     { F = ast_fun_param(ctx, H, T, N, 1); }
fparams(F) ::= fparams(H) COMMA ptype(T) IDENT(N).  { F = ast_fun_param(ctx, H, T, N, 0); }
fparams(F) ::= fparams(H) COMMA DATA ptype(T) IDENT(N). { F = ast_fun_param(ctx, H, T, N, 1); }
ptype(T) ::= type(X).                               { T = X; }
ptype(T) ::= utype(X).                              { T = X; }
utype(T) ::= ubase(X).                              { T = X; }
utype(T) ::= ARRAY(A) LBRACK commas(N) RBRACK uelem(B). { T = ast_unsized_array(ctx, A, N, B); }
ubase(T) ::= VECTOR(K).                             { T = ast_unsized(ctx, TS_VECTOR, K); }
ubase(T) ::= ROW_VECTOR(K).                         { T = ast_unsized(ctx, TS_ROWVEC, K); }
ubase(T) ::= MATRIX(K).                             { T = ast_unsized(ctx, TS_MATRIX, K); }
uelem(T) ::= btype(X).                              { T = X; }
uelem(T) ::= ubase(X).                              { T = X; }
commas(N) ::= .                                     { N = 1; }
commas(N) ::= commas(M) COMMA.                      { N = M + 1; }

/* ---- top-level declarations ---- */
decl(D) ::= DATA(K) type(T) IDENT(N) opt_init(E) SEMI(S).  { D = ast_decl(ctx, D_DATA, K, T, N, E, S); }
decl(D) ::= PARAM(K) type(T) IDENT(N) opt_init(E) SEMI(S). { D = ast_decl(ctx, D_PARAM, K, T, N, E, S); }
decl(D) ::= LET(K) type(T) IDENT(N) opt_init(E) SEMI(S).   { D = ast_decl(ctx, D_LET, K, T, N, E, S); }
decl(D) ::= LET(K) IDENT(N) opt_init(E) SEMI(S).           { D = ast_decl(ctx, D_LET, K, NULL, N, E, S); }
decl(D) ::= GEN(K) type(T) IDENT(N) opt_init(E) SEMI(S).   { D = ast_decl(ctx, D_GEN, K, T, N, E, S); }
decl(D) ::= GEN(K) IDENT(N) opt_init(E) SEMI(S).           { D = ast_decl(ctx, D_GEN, K, NULL, N, E, S); }

opt_init(E) ::= .                  { E = NULL; }
opt_init(E) ::= ASSIGN expr(X).    { E = X; }

/* ---- types ---- */
type(T) ::= btype(B).                                    { T = B; }
type(T) ::= ARRAY(A) LBRACK exprs(D) RBRACK btype(B).    { T = ast_array_type(ctx, A, D, B); }

btype(T) ::= INT(K).                                     { T = ast_type(ctx, TS_INT, K, NULL, NULL, (ExprList){0}, K); }
btype(T) ::= INT(K) LT lower(L) GT(G).                   { T = ast_type(ctx, TS_INT, K, L, NULL, (ExprList){0}, G); }
btype(T) ::= INT(K) LT upper(U) GT(G).                   { T = ast_type(ctx, TS_INT, K, NULL, U, (ExprList){0}, G); }
btype(T) ::= INT(K) LT lower(L) COMMA upper(U) GT(G).    { T = ast_type(ctx, TS_INT, K, L, U, (ExprList){0}, G); }
btype(T) ::= REAL(K).                                    { T = ast_type(ctx, TS_REAL, K, NULL, NULL, (ExprList){0}, K); }
btype(T) ::= REAL(K) LT lower(L) GT(G).                  { T = ast_type(ctx, TS_REAL, K, L, NULL, (ExprList){0}, G); }
btype(T) ::= REAL(K) LT upper(U) GT(G).                  { T = ast_type(ctx, TS_REAL, K, NULL, U, (ExprList){0}, G); }
btype(T) ::= REAL(K) LT lower(L) COMMA upper(U) GT(G).   { T = ast_type(ctx, TS_REAL, K, L, U, (ExprList){0}, G); }
btype(T) ::= VECTOR(K) sized(S).                         { T = ast_type(ctx, TS_VECTOR, K, NULL, NULL, S, K); }
btype(T) ::= VECTOR(K) LT lower(L) GT sized(S).          { T = ast_type(ctx, TS_VECTOR, K, L, NULL, S, K); }
btype(T) ::= VECTOR(K) LT upper(U) GT sized(S).          { T = ast_type(ctx, TS_VECTOR, K, NULL, U, S, K); }
btype(T) ::= VECTOR(K) LT lower(L) COMMA upper(U) GT sized(S). { T = ast_type(ctx, TS_VECTOR, K, L, U, S, K); }
btype(T) ::= ROW_VECTOR(K) sized(S).                     { T = ast_type(ctx, TS_ROWVEC, K, NULL, NULL, S, K); }
btype(T) ::= ROW_VECTOR(K) LT lower(L) GT sized(S).      { T = ast_type(ctx, TS_ROWVEC, K, L, NULL, S, K); }
btype(T) ::= ROW_VECTOR(K) LT upper(U) GT sized(S).      { T = ast_type(ctx, TS_ROWVEC, K, NULL, U, S, K); }
btype(T) ::= ROW_VECTOR(K) LT lower(L) COMMA upper(U) GT sized(S). { T = ast_type(ctx, TS_ROWVEC, K, L, U, S, K); }
btype(T) ::= MATRIX(K) sized(S).                         { T = ast_type(ctx, TS_MATRIX, K, NULL, NULL, S, K); }
btype(T) ::= MATRIX(K) LT lower(L) GT sized(S).          { T = ast_type(ctx, TS_MATRIX, K, L, NULL, S, K); }
btype(T) ::= MATRIX(K) LT upper(U) GT sized(S).          { T = ast_type(ctx, TS_MATRIX, K, NULL, U, S, K); }
btype(T) ::= MATRIX(K) LT lower(L) COMMA upper(U) GT sized(S). { T = ast_type(ctx, TS_MATRIX, K, L, U, S, K); }
btype(T) ::= SIMPLEX(K) sized(S).                        { T = ast_type(ctx, TS_SIMPLEX, K, NULL, NULL, S, K); }
btype(T) ::= ORDERED(K) sized(S).                        { T = ast_type(ctx, TS_ORDERED, K, NULL, NULL, S, K); }
btype(T) ::= POSITIVE_ORDERED(K) sized(S).               { T = ast_type(ctx, TS_POS_ORDERED, K, NULL, NULL, S, K); }
btype(T) ::= CHOLESKY_FACTOR_CORR(K) sized(S).           { T = ast_type(ctx, TS_CHOL_CORR, K, NULL, NULL, S, K); }
btype(T) ::= COV_MATRIX(K) sized(S).                     { T = ast_type(ctx, TS_COV, K, NULL, NULL, S, K); }
btype(T) ::= CORR_MATRIX(K) sized(S).                    { T = ast_type(ctx, TS_CORR, K, NULL, NULL, S, K); }
btype(T) ::= CHOLESKY_FACTOR_COV(K) sized(S).            { T = ast_type(ctx, TS_CHOL_COV, K, NULL, NULL, S, K); }
btype(T) ::= UNIT_VECTOR(K) sized(S).                    { T = ast_type(ctx, TS_UNIT_VECTOR, K, NULL, NULL, S, K); }
btype(T) ::= SUM_TO_ZERO_VECTOR(K) sized(S).             { T = ast_type(ctx, TS_SUM_TO_ZERO, K, NULL, NULL, S, K); }
/* Stan's affine transform; offset and multiplier stay identifiers elsewhere */
btype(T) ::= REAL(K) LT affine(A) GT(G).                 { T = ast_with_affine(ctx, ast_type(ctx, TS_REAL, K, NULL, NULL, (ExprList){0}, G), A); }
btype(T) ::= VECTOR(K) LT affine(A) GT sized(S).         { T = ast_with_affine(ctx, ast_type(ctx, TS_VECTOR, K, NULL, NULL, S, K), A); }
btype(T) ::= ROW_VECTOR(K) LT affine(A) GT sized(S).     { T = ast_with_affine(ctx, ast_type(ctx, TS_ROWVEC, K, NULL, NULL, S, K), A); }
btype(T) ::= MATRIX(K) LT affine(A) GT sized(S).         { T = ast_with_affine(ctx, ast_type(ctx, TS_MATRIX, K, NULL, NULL, S, K), A); }
affine(A) ::= IDENT(N) ASSIGN add_expr(X).               { A = ast_affine(ctx, (Affine){0}, N, X); }
affine(A) ::= affine(B) COMMA IDENT(N) ASSIGN add_expr(X). { A = ast_affine(ctx, B, N, X); }

sized(S) ::= LBRACK exprs(E) RBRACK.  { S = E; }

lower(E) ::= LOWER ASSIGN add_expr(X).  { E = X; }
upper(E) ::= UPPER ASSIGN add_expr(X).  { E = X; }

/* ---- statements ---- */
stmt(S) ::= expr(L) TILDE IDENT(D) LPAREN args(A) RPAREN SEMI(E).  { S = ast_tilde(ctx, L, D, A, E); }
stmt(S) ::= expr(L) TILDE IDENT(D) LPAREN RPAREN SEMI(E).               { S = ast_tilde(ctx, L, D, (ExprList){0}, E); }
stmt(S) ::= expr(L) TILDE IDENT(D) LPAREN args(A) RPAREN IDENT(T) LBRACK topt(LO) COMMA topt(HI) RBRACK SEMI(E).
    { S = ast_tilde_trunc(ctx, L, D, A, T, LO, HI, E); }
topt(X) ::= .        { X = NULL; }
topt(X) ::= expr(Y). { X = Y; }
stmt(S) ::= TARGET(K) PLUSEQ expr(X) SEMI(E).                     { S = ast_target(ctx, K, X, E); }
stmt(S) ::= expr(L) assignop(O) expr(R) SEMI(E).                  { S = ast_assign(ctx, L, O, R, E); }
stmt(S) ::= type(T) IDENT(N) opt_init(X) SEMI(E).                 { S = ast_decl(ctx, D_LOCAL, N, T, N, X, E); }
stmt(S) ::= FOR(K) LPAREN IDENT(V) IN or_expr(A) COLON or_expr(B) RPAREN stmt(B2). { S = ast_for(ctx, K, V, A, B, B2); }
stmt(S) ::= WHILE(K) LPAREN expr(C) RPAREN stmt(B).               { S = ast_while(ctx, K, C, B); }
stmt(S) ::= IF(K) LPAREN expr(C) RPAREN stmt(T). [IFX]            { S = ast_if(ctx, K, C, T, NULL); }
stmt(S) ::= IF(K) LPAREN expr(C) RPAREN stmt(T) ELSE stmt(F).     { S = ast_if(ctx, K, C, T, F); }
stmt(S) ::= LBRACE(O) RBRACE(C).                                  { S = ast_block(ctx, O, (StmtList){0}, C); }
stmt(S) ::= LBRACE(O) stmts(L) RBRACE(C).                         { S = ast_block(ctx, O, L, C); }
stmt(S) ::= SEMI(E).                                              { S = ast_empty(ctx, E); }
stmt(S) ::= RETURN(K) expr(X) SEMI(E).                            { S = ast_return(ctx, K, X, E); }
stmt(S) ::= RETURN(K) SEMI(E).                                    { S = ast_return(ctx, K, NULL, E); }
stmt(S) ::= expr(X) SEMI(E).                                      { S = ast_callstmt(ctx, X, E); }

stmts(L) ::= stmt(S).             { L = stmtlist_push(ctx, (StmtList){0}, S); }
stmts(L) ::= stmts(A) stmt(S).    { L = stmtlist_push(ctx, A, S); }

assignop(O) ::= ASSIGN.   { O = -1; }
assignop(O) ::= PLUSEQ.   { O = OP_ADD; }
assignop(O) ::= MINUSEQ.  { O = OP_SUB; }
assignop(O) ::= TIMESEQ.  { O = OP_MUL; }
assignop(O) ::= DIVEQ.    { O = OP_DIV; }

/* ---- expressions, loosest first ---- */
expr(E) ::= cond_expr(X).                                   { E = X; }
cond_expr(E) ::= or_expr(X).                                { E = X; }
cond_expr(E) ::= or_expr(A) QUESTION expr(B) COLON cond_expr(C). { E = ast_cond(ctx, A, B, C); }
or_expr(E) ::= and_expr(X).                                 { E = X; }
or_expr(E) ::= or_expr(A) OR and_expr(B).                   { E = ast_binop(ctx, OP_OR, A, B); }
and_expr(E) ::= eq_expr(X).                                 { E = X; }
and_expr(E) ::= and_expr(A) AND eq_expr(B).                 { E = ast_binop(ctx, OP_AND, A, B); }
eq_expr(E) ::= rel_expr(X).                                 { E = X; }
eq_expr(E) ::= eq_expr(A) EQ rel_expr(B).                   { E = ast_binop(ctx, OP_EQ, A, B); }
eq_expr(E) ::= eq_expr(A) NE rel_expr(B).                   { E = ast_binop(ctx, OP_NE, A, B); }
rel_expr(E) ::= add_expr(X).                                { E = X; }
rel_expr(E) ::= rel_expr(A) LT add_expr(B).                 { E = ast_binop(ctx, OP_LT, A, B); }
rel_expr(E) ::= rel_expr(A) LE add_expr(B).                 { E = ast_binop(ctx, OP_LE, A, B); }
rel_expr(E) ::= rel_expr(A) GT add_expr(B).                 { E = ast_binop(ctx, OP_GT, A, B); }
rel_expr(E) ::= rel_expr(A) GE add_expr(B).                 { E = ast_binop(ctx, OP_GE, A, B); }
add_expr(E) ::= mul_expr(X).                                { E = X; }
add_expr(E) ::= add_expr(A) PLUS mul_expr(B).               { E = ast_binop(ctx, OP_ADD, A, B); }
add_expr(E) ::= add_expr(A) MINUS mul_expr(B).              { E = ast_binop(ctx, OP_SUB, A, B); }
mul_expr(E) ::= unary_expr(X).                              { E = X; }
mul_expr(E) ::= mul_expr(A) TIMES unary_expr(B).            { E = ast_binop(ctx, OP_MUL, A, B); }
mul_expr(E) ::= mul_expr(A) DIVIDE unary_expr(B).           { E = ast_binop(ctx, OP_DIV, A, B); }
mul_expr(E) ::= mul_expr(A) MOD unary_expr(B).              { E = ast_binop(ctx, OP_MOD, A, B); }
mul_expr(E) ::= mul_expr(A) EMUL unary_expr(B).             { E = ast_binop(ctx, OP_EMUL, A, B); }
mul_expr(E) ::= mul_expr(A) EDIV unary_expr(B).             { E = ast_binop(ctx, OP_EDIV, A, B); }
mul_expr(E) ::= mul_expr(A) LDIV unary_expr(B).             { E = ast_binop(ctx, OP_LDIV, A, B); }
unary_expr(E) ::= pow_expr(X).                              { E = X; }
unary_expr(E) ::= MINUS(T) unary_expr(X).                   { E = ast_unop(ctx, OP_NEG, T, X); }
unary_expr(E) ::= PLUS(T) unary_expr(X).                    { E = ast_unop(ctx, OP_PLUS, T, X); }
unary_expr(E) ::= NOT(T) unary_expr(X).                     { E = ast_unop(ctx, OP_NOT, T, X); }
/* ^ binds tighter than unary minus and is right-associative: -a^b^c = -(a^(b^c)) */
pow_expr(E) ::= postfix(X).                                 { E = X; }
pow_expr(E) ::= postfix(A) POW unary_expr(B).               { E = ast_binop(ctx, OP_POW, A, B); }
postfix(E) ::= primary(X).                                  { E = X; }
postfix(E) ::= postfix(A) TRANSPOSE(T).                     { E = ast_transpose(ctx, A, T); }
postfix(E) ::= postfix(A) LBRACK indexes(I) RBRACK(C).      { E = ast_index(ctx, A, I.v, I.n, C); }

primary(E) ::= INTLIT(T).                                   { E = ast_int(ctx, T); }
primary(E) ::= REALLIT(T).                                  { E = ast_real(ctx, T); }
primary(E) ::= STRING(T).                                   { E = ast_str(ctx, T); }
primary(E) ::= IDENT(T).                                    { E = ast_var(ctx, T); }
primary(E) ::= LPAREN(O) expr(X) RPAREN(C).                 { E = ast_paren(ctx, O, X, C); }
primary(E) ::= IDENT(N) LPAREN RPAREN(C).                   { E = ast_call(ctx, N, NULL, 0, NULL, 0, C); }
primary(E) ::= IDENT(N) LPAREN args(A) RPAREN(C).           { E = ast_call(ctx, N, NULL, 0, A.v, A.n, C); }
primary(E) ::= IDENT(N) LPAREN expr(F) BAR RPAREN(C).       { E = ast_call(ctx, N, F, 1, NULL, 0, C); }
primary(E) ::= IDENT(N) LPAREN expr(F) BAR args(A) RPAREN(C). { E = ast_call(ctx, N, F, 1, A.v, A.n, C); }
primary(E) ::= LBRACK(O) exprs(L) RBRACK(C).                { E = ast_literal(ctx, E_ROWVEC, O, L.v, L.n, C); }
primary(E) ::= LBRACE(O) exprs(L) RBRACE(C).                { E = ast_literal(ctx, E_ARRAY, O, L.v, L.n, C); }

args(L) ::= expr(X).                    { L = exprlist_push(ctx, (ExprList){0}, X); }
args(L) ::= args(A) COMMA expr(X).      { L = exprlist_push(ctx, A, X); }
exprs(L) ::= expr(X).                   { L = exprlist_push(ctx, (ExprList){0}, X); }
exprs(L) ::= exprs(A) COMMA expr(X).    { L = exprlist_push(ctx, A, X); }

indexes(L) ::= index(I).                               { L = I; }
indexes(L) ::= indexes(A) COMMA expr(X).               { L = indexlist_push(ctx, A, IX_SINGLE, X, NULL); }
indexes(L) ::= indexes(A) COMMA expr(X) COLON expr(Y). { L = indexlist_push(ctx, A, IX_SLICE, X, Y); }
indexes(L) ::= indexes(A) COMMA expr(X) COLON.         { L = indexlist_push(ctx, A, IX_FROM, X, NULL); }
indexes(L) ::= indexes(A) COMMA COLON expr(Y).         { L = indexlist_push(ctx, A, IX_TO, NULL, Y); }
indexes(L) ::= indexes(A) COMMA COLON.                 { L = indexlist_push(ctx, A, IX_ALL, NULL, NULL); }
%type index {IndexList}
index(L) ::= expr(X).                   { L = indexlist_push(ctx, (IndexList){0}, IX_SINGLE, X, NULL); }
index(L) ::= expr(X) COLON expr(Y).     { L = indexlist_push(ctx, (IndexList){0}, IX_SLICE, X, Y); }
index(L) ::= expr(X) COLON.             { L = indexlist_push(ctx, (IndexList){0}, IX_FROM, X, NULL); }
index(L) ::= COLON expr(Y).             { L = indexlist_push(ctx, (IndexList){0}, IX_TO, NULL, Y); }
index(L) ::= COLON.                     { L = indexlist_push(ctx, (IndexList){0}, IX_ALL, NULL, NULL); }
