/*
 * test_textfn.c
 *		Unit tests of src/kernels/textfn.c.
 *
 * md5 (with a stand-in digest), length, substr, trims, lower/upper and ||
 * against their definitions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/kernels/batch.h"
#include "../../src/kernels/textfn.h"
#include "unit.h"

/* An allocator over malloc for the text kernels; fail: return NULL. */
static void *
test_alloc(void *arg, size_t size)
{
	return *(int *) arg ? NULL : malloc(size);
}

/* Row i of t is the C string str (NULL: SQL NULL). */
static void
set_str(TestCol *t, int i, const char *str)
{
	t->null[i] = str == NULL;
	t->status[i] = 0;
	t->s[i].p = str;
	t->s[i].len = str ? (int32_t) strlen(str) : 0;
}

/* Whether row i of t is the text str. */
static int
is_str(const TestCol *t, int i, const char *str)
{
	return t->status[i] == PP_ROW_OK && !t->null[i] &&
		t->s[i].len == (int32_t) strlen(str) && memcmp(t->s[i].p, str, strlen(str)) == 0;
}

/* The byte offsets of the characters of valid UTF8 s, from bit patterns. */
static int
utf8_offsets(const char *s, int *off)
{
	int			n = 0;

	for (int k = 0; s[k]; k++)
		if (((unsigned char) s[k] & 0xc0) != 0x80)
			off[n++] = k;
	off[n] = (int) strlen(s);
	return n;
}

/* Stand-in digests for the md5 kernel: the length in hex, or a failure. */
static bool
length_digest(const void *p, size_t len, char *hex)
{
	char		buf[40];

	snprintf(buf, sizeof(buf), "%032zx", len);
	memcpy(hex, buf, 32);
	return true;
}

static bool
failing_digest(const void *p, size_t len, char *hex)
{
	return false;
}

/* Text functions against definitions: md5, length, substr, trims, case, ||. */
void
test_textfn(void)
{
	/* strings of 1- to 4-byte characters */
	static const char *utf[] = {"", "a", "h\xc3\xa9llo", "\xe2\x82\xac", "x\xf0\x9f\x98\x80y",
	"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z", "  pad  ", "abcdefgh"};
	TestCol		a = {0},
				b = {0},
				c = {0},
				o = {0};
	int			fail_alloc = 0;
	PpAlloc		mem = {test_alloc, &fail_alloc};

	/*
	 * md5: the column mechanics, with a stand-in digest (the glue passes
	 * PostgreSQL's MD5)
	 */
	set_str(&a, 0, "abc");
	set_str(&a, 1, NULL);
	set_str(&a, 2, "");
	a.status[3] = PP_ROW_UNPARSED;
	a.null[3] = 1;
	pp_text_md5(tcol(&a), tcol(&o), 4, &mem, length_digest);
	CHECK(is_str(&o, 0, "00000000000000000000000000000003") && o.null[1] && !o.status[1] &&
		  is_str(&o, 2, "00000000000000000000000000000000") && o.status[3] == PP_ROW_UNPARSED,
		  "md5 column: value, NULL, empty, flag propagated");
	pp_text_md5(tcol(&a), tcol(&o), 4, &mem, failing_digest);
	CHECK(o.status[0] == PP_ROW_SPECIAL && o.null[1] && !o.status[1] && o.status[2] == PP_ROW_SPECIAL,
		  "a digest that fails flags its rows");
	fail_alloc = 1;
	pp_text_md5(tcol(&a), tcol(&o), 4, &mem, length_digest);
	CHECK(o.status[0] == PP_ROW_SPECIAL && o.null[1] && !o.status[1],
		  "no memory: rows with a value flagged");
	fail_alloc = 0;

	/* length: characters, against counting lead bytes */
	for (int k = 0; k < 8; k++)
		set_str(&a, k, utf[k]);
	pp_text_length(1, tcol(&a), tcol(&o), 8);
	for (int k = 0; k < 8; k++)
	{
		int			off[64];

		CHECK(o.status[k] == PP_ROW_OK && o.i[k] == utf8_offsets(utf[k], off),
			  "length(%s) = %lld", utf[k], (long long) o.i[k]);
	}
	pp_text_length(0, tcol(&a), tcol(&o), 8);
	CHECK(o.i[2] == 6 && o.i[5] == 10, "single-byte length is bytes");
	a.s[1].p = "\xf0\x9f";		/* a cut 4-byte character */
	a.s[1].len = 2;
	a.s[0].p = "a\0b";
	a.s[0].len = 3;
	pp_text_length(1, tcol(&a), tcol(&o), 2);
	CHECK(o.status[0] == PP_ROW_SPECIAL && o.status[1] == PP_ROW_SPECIAL,
		  "a NUL byte or a cut character: flagged");

	/* substr: every start and count on every string, against the definition */
	for (int k = 0; k < 8; k++)
	{
		int			off[64],
					nch = utf8_offsets(utf[k], off);

		for (int st = -3; st <= 10; st++)
			for (int cnt = -2; cnt <= 12; cnt++)
			{
				int			big = cnt == 12;
				int64_t		count = big ? INT32_MAX : cnt;
				int64_t		from = st > 1 ? st : 1,
							to = st + count;	/* exclusive */
				char		want[64];
				int			wlen = 0;

				set_str(&a, 0, utf[k]);
				b.i[0] = st;
				b.null[0] = b.status[0] = 0;
				c.i[0] = count;
				c.null[0] = c.status[0] = 0;
				for (int64_t p = from; p < to && p <= nch; p++)
				{
					memcpy(want + wlen, utf[k] + off[p - 1], off[p] - off[p - 1]);
					wlen += off[p] - off[p - 1];
				}
				want[wlen] = '\0';
				pp_text_substr(1, tcol(&a), tcol(&b), tcol(&c), tcol(&o), 1);
				if (cnt < 0)
					CHECK(o.status[0] == PP_ROW_SPECIAL, "negative count flagged");
				else
					CHECK(is_str(&o, 0, want), "substr(%s, %d, %lld)", utf[k], st,
						  (long long) count);
				if (cnt == 0)
				{
					/* no count: to the end */
					want[0] = '\0';
					if (from <= nch)
						strcpy(want, utf[k] + off[from - 1]);
					pp_text_substr(1, tcol(&a), tcol(&b), NULL, tcol(&o), 1);
					CHECK(is_str(&o, 0, want), "substr(%s, %d)", utf[k], st);
				}
			}
	}
	set_str(&a, 0, "abc");
	b.null[0] = 1;
	pp_text_substr(1, tcol(&a), tcol(&b), tcol(&c), tcol(&o), 1);
	CHECK(o.null[0] && o.status[0] == PP_ROW_OK, "NULL start: NULL");
	b.null[0] = 0;

	/* trims: default (spaces) and given ASCII sets; a non-ASCII set flagged */
	set_str(&a, 0, "  a b  ");
	set_str(&a, 1, "xxaxbxx");
	set_str(&a, 2, "\xc3\xa9 x\xc3\xa9");
	set_str(&a, 3, "");
	set_str(&a, 4, "   ");
	set_str(&a, 5, NULL);
	set_str(&a, 6, "\t a\n");
	pp_text_trim(PP_TRIM_BOTH, tcol(&a), NULL, tcol(&o), 7);
	CHECK(is_str(&o, 0, "a b") && is_str(&o, 1, "xxaxbxx") &&
		  is_str(&o, 2, "\xc3\xa9 x\xc3\xa9") && is_str(&o, 3, "") && is_str(&o, 4, "") &&
		  o.null[5] && is_str(&o, 6, "\t a\n"), "btrim(a): spaces only");
	pp_text_trim(PP_TRIM_LEADING, tcol(&a), NULL, tcol(&o), 7);
	CHECK(is_str(&o, 0, "a b  ") && is_str(&o, 4, ""), "ltrim(a)");
	pp_text_trim(PP_TRIM_TRAILING, tcol(&a), NULL, tcol(&o), 7);
	CHECK(is_str(&o, 0, "  a b") && is_str(&o, 4, ""), "rtrim(a)");
	for (int k = 0; k < 7; k++)
		set_str(&b, k, "x ");
	set_str(&b, 3, "");
	set_str(&b, 5, "x");
	set_str(&b, 6, "\xc3\xa9");
	pp_text_trim(PP_TRIM_BOTH, tcol(&a), tcol(&b), tcol(&o), 7);
	CHECK(is_str(&o, 0, "a b") && is_str(&o, 1, "axb") && is_str(&o, 2, "\xc3\xa9 x\xc3\xa9") &&
		  is_str(&o, 3, "") && o.null[5] && o.status[6] == PP_ROW_SPECIAL,
		  "btrim(a, set): set characters, never inside a character; non-ASCII set flagged");
	pp_text_trim(PP_TRIM_TRAILING, tcol(&a), tcol(&b), tcol(&o), 3);
	CHECK(is_str(&o, 1, "xxaxb"), "rtrim(a, set)");
	/* 0xa9, the last byte of \xc3\xa9, is ')' with the high bit set */
	set_str(&a, 0, ")\xc3\xa9)");
	set_str(&b, 0, ")");
	pp_text_trim(PP_TRIM_BOTH, tcol(&a), tcol(&b), tcol(&o), 1);
	CHECK(is_str(&o, 0, "\xc3\xa9"), "trims never take bytes of a multibyte character");

	/* lower/upper: ASCII letters only; non-ASCII rows flagged */
	set_str(&a, 0, "Hello, World 09 @[`{");
	set_str(&a, 1, "\xc3\x89t\xc3\xa9");
	set_str(&a, 2, "");
	set_str(&a, 3, NULL);
	pp_text_case(0, tcol(&a), tcol(&o), 4, &mem);
	CHECK(is_str(&o, 0, "hello, world 09 @[`{") && o.status[1] == PP_ROW_SPECIAL &&
		  is_str(&o, 2, "") && o.null[3] && !o.status[3], "lower");
	pp_text_case(1, tcol(&a), tcol(&o), 4, &mem);
	CHECK(is_str(&o, 0, "HELLO, WORLD 09 @[`{") && o.status[1] == PP_ROW_SPECIAL, "upper");

	/* concatenation: NULL either side, flags in argument order */
	set_str(&a, 0, "ab");
	set_str(&b, 0, "\xc3\xa9");
	set_str(&a, 1, "");
	set_str(&b, 1, "");
	set_str(&a, 2, NULL);
	b.status[2] = PP_ROW_OUT_OF_RANGE;
	b.null[2] = 1;
	set_str(&a, 3, "x");
	set_str(&b, 3, NULL);
	pp_text_cat(tcol(&a), tcol(&b), tcol(&o), 4, &mem);
	CHECK(is_str(&o, 0, "ab\xc3\xa9") && is_str(&o, 1, "") &&
		  o.status[2] == PP_ROW_OUT_OF_RANGE && o.null[3] && !o.status[3], "textcat");
	a.s[1].len = PP_TEXT_MAX_LEN;	/* only its length is read */
	b.s[1].p = "y";
	b.s[1].len = 1;
	pp_text_cat(tcol(&a), tcol(&b), tcol(&o), 2, &mem);
	CHECK(o.status[1] == PP_ROW_SPECIAL && is_str(&o, 0, "ab\xc3\xa9"),
		  "a result longer than text can be: flagged");
}
