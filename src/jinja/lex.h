/* The Jinja lexer: template text → tokens (private to parse.c). */
#ifndef SILT_JINJA_LEX_H
#define SILT_JINJA_LEX_H

#include "jinja_int.h"

enum tok_type {
	T_EOF,
	T_TEXT,        /* literal template text (s) */
	T_VAR_BEGIN,   /* {{ */
	T_VAR_END,     /* }} */
	T_BLOCK_BEGIN, /* {% */
	T_BLOCK_END,   /* %} */
	T_NAME,        /* s */
	T_STRING,      /* s: decoded */
	T_INT,         /* i */
	T_FLOAT,       /* f */
	T_OP,          /* op: one of the OPC_ codes (a character or a two-character code) */
};

/* Two-character operators get codes above 255; one-character ones are the character. */
enum { OPC_POW = 256, OPC_FLOORDIV, OPC_EQ, OPC_NE, OPC_LE, OPC_GE };

struct token {
	uint8_t type;
	uint16_t op;
	uint32_t off; /* byte offset in the source */
	int line, col;
	union {
		struct str s; /* T_NAME, T_STRING, T_TEXT */
		int64_t i;    /* T_INT */
		double f;     /* T_FLOAT */
	};
};

struct tokens {
	struct token *v;
	size_t n, cap;
};

/* Tokenises t->src; decoded strings go to arena a. On entry out->v/out->n are a malloc'd buffer
 * and its capacity to reuse (or NULL/0); on return out->v is the (possibly grown) buffer, out->n
 * the token count and out->cap its capacity (after a failure out->n is the capacity). Returns 0, or -1 with a syntax error in d. */
int jinja_lex(struct jinja_env *env, struct jinja_template *t, struct arena *a, struct tokens *out,
              struct diag *d);
const char *jinja_tok_describe(const struct token *tk, char *buf, size_t n);

#endif
