/* Unit tests for base/: arena, buf, map, intern, diag, hashing. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "tap.h"

void test_base(void);

static void test_arena(void)
{
	struct arena a;
	arena_init(&a);
	char *p = arena_strndup(&a, "hello", 5);
	is_str(p, "hello", "arena_strndup copies and terminates");
	struct arena_mark m = arena_mark(&a);
	for (int i = 0; i < 1000; i++)
		arena_alloc(&a, 1000);
	arena_restore(&a, m);
	is_str(p, "hello", "arena_restore keeps what came before the mark");
	/* arena_adopt: what the other arena holds lives on in a (chunks big and small), freed with
	 * it (the leak check would see them otherwise), and a goes on allocating where it was */
	struct arena b, e;
	arena_init(&b);
	arena_init(&e);
	char *q = arena_strndup(&b, "world", 5);
	for (int i = 0; i < 100; i++)
		arena_alloc(&b, 50000);
	char *cur = arena_alloc(&a, 8);
	arena_adopt(&a, &b);
	arena_adopt(&a, &e); /* (an empty one) */
	char *next = arena_alloc(&a, 8);
	ok(!b.head && next == cur + 8, "arena_adopt empties the other arena; a allocates on");
	is_str(q, "world", "what the other arena held is a's");
	arena_adopt(&e, &a);
	is_str(q, "world", "adopted into an empty arena");
	arena_adopt(&a, &e); /* and back, for the release below */
	bool aligned = true;
	for (size_t n = 1; n < 40; n++) /* odd sizes one after another, text between them */
		aligned &= ((uintptr_t)arena_alloc(&a, n) & (ARENA_ALIGN - 1)) == 0 &&
		            arena_text(&a, n) != NULL;
	ok(aligned && ARENA_ALIGN >= _Alignof(int64_t) && ARENA_ALIGN >= _Alignof(double),
	   "arena allocations are 8-byte aligned");
	is_str(arena_printf(&a, "%d-%s", 42, "x"), "42-x", "arena_printf");
	arena_release(&a);
}

#if defined(__SANITIZE_ADDRESS__)
int __asan_address_is_poisoned(void const volatile *addr);
/* Under AddressSanitizer an arena's memory is addressable only while it is handed out: a
 * pointer kept past a reset, a restore or a release (whose chunks are reused) is caught. */
static void test_arena_poison(void)
{
	struct arena a;
	arena_init(&a);
	char *p = arena_alloc(&a, 16), *t = arena_text(&a, 5);
	ok(!__asan_address_is_poisoned(p) && !__asan_address_is_poisoned(p + 15) &&
	       !__asan_address_is_poisoned(t + 4),
	   "arena memory handed out is addressable");
	ok(__asan_address_is_poisoned(p + 16), "the chunk's free space is not");
	struct arena_mark m = arena_mark(&a);
	char *q = arena_alloc(&a, 64), *u = arena_text(&a, 8);
	char *far = NULL;
	for (int i = 0; i < 100; i++) /* into later chunks, 2 MiB ones among them */
		far = arena_alloc(&a, 50000);
	arena_restore(&a, m);
	ok(__asan_address_is_poisoned(q) && __asan_address_is_poisoned(u),
	   "what came after a mark is poisoned by arena_restore");
	ok(!__asan_address_is_poisoned(p) && !__asan_address_is_poisoned(t),
	   "what came before it is not");
	(void)far;
	for (int i = 0; i < 100; i++)
		far = arena_alloc(&a, 50000);
	arena_reset(&a);
	ok(__asan_address_is_poisoned(p) && __asan_address_is_poisoned(far),
	   "arena_reset poisons the chunk it keeps");
	void *big = big_alloc(1000);
	big_free(big, 1000);
	ok(__asan_address_is_poisoned((char *)big + 4096), "a pooled mapping is poisoned");
	big = big_alloc(1000);
	ok(!__asan_address_is_poisoned((char *)big + 4096), "and addressable again when taken");
	big_free(big, 1000);
	arena_release(&a);
	/* a mapping unmapped because the pool is full leaves no poison behind: a new mapping at
	 * the same addresses starts clean */
	void *fill = big_alloc(32u << 20);
	big_free(fill, 32u << 20);
	struct arena h;
	arena_init(&h);
	char *x = arena_alloc(&h, 3u << 20); /* a 4 MiB chunk of its own, its tail poisoned */
	x[0] = 1;
	arena_release(&h);
	char *y = big_alloc(4u << 20);
	ok(!__asan_address_is_poisoned(y + (3u << 20) + 4096) &&
	       !__asan_address_is_poisoned(y + (4u << 20) - 1),
	   "memory unmapped when the pool is full is unpoisoned first");
	big_free(y, 4u << 20);
}
#endif

static void test_buf(void)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "a");
	buf_printf(&b, "%05d", 42);
	buf_putc(&b, '!');
	is_str(buf_cstr(&b), "a00042!", "buf_printf and friends append");
	for (int i = 0; i < 1000; i++)
		buf_printf(&b, "%d", i);
	is_int((long long)strlen(buf_cstr(&b)), (long long)b.n, "buf stays NUL-terminated");
	buf_release(&b);
	struct buf small = BUF_INIT;
	small.max = 4;
	buf_puts(&small, "abc");
	buf_puts(&small, "de");
	ok(small.overflow && small.n == 3, "a bounded buf drops appends past its maximum");
	buf_release(&small);
	is_int(str_cmp(STR("abc"), STR("abd")) < 0, 1, "str_cmp orders bytes");
	struct str t = str_trim(STR("  x y \n"));
	ok(str_eqc(t, "x y"), "str_trim");
}

static void test_map(void)
{
	struct map m;
	map_init(&m);
	char keys[200][16];
	for (int i = 0; i < 200; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%d", i);
		map_set(&m, str_from(keys[i]), (void *)(intptr_t)(i + 1));
	}
	bool all = true;
	for (int i = 0; i < 200; i++)
		all &= map_get(&m, str_from(keys[i])) == (void *)(intptr_t)(i + 1);
	ok(all, "map finds 200 keys");
	ok(map_del(&m, STR("k7")) && !map_has(&m, STR("k7")) && map_has(&m, STR("k8")),
	   "map_del removes one key only");
	ok(m.e[0].key.p && str_eqc(m.e[0].key, "k0") && str_eqc(m.e[199].key, "k199"),
	   "map keeps insertion order");
	map_release(&m);

	struct intern *in = intern_new();
	char tmp[8] = "name";
	const char *a = intern(in, tmp, 4);
	tmp[0] = 'x';
	const char *b = intern(in, "name", 4);
	ok(a == b && strcmp(a, "name") == 0, "intern returns one stable pointer per string");
	intern_free(in);
}

static void test_diag(void)
{
	struct diag d;
	diag_init(&d);
	const char *src = "line one\n{{ x }\nthree";
	diag_add(&d, DIAG_ERROR, "m.sql", 2, 6, src, strlen(src), "expected '%s'", "}}");
	struct buf b = BUF_INIT;
	diag_print(&d, &b);
	is_str(buf_cstr(&b), "m.sql:2:6: expected '}}'\n2 | {{ x }\n  |      ^\n",
	       "diag prints file:line:col, the line and a caret");
	int line, col;
	text_position(src, 12, &line, &col);
	ok(line == 2 && col == 4, "text_position gives 1-based line and column");
	buf_release(&b);
	diag_release(&d);
}

/* The sha256 of the 1,101 digests of the first 0..1100 bytes of a fixed sequence (each also
 * hashed in uneven pieces, which must agree), as Python's hashlib gives it; and a million 'a'. */
static void sha256_check(const char *how)
{
	unsigned char d[1100], all[1101 * 32];
	for (size_t i = 0; i < sizeof(d); i++)
		d[i] = (unsigned char)(i * 131 + (i >> 7) * 17 + 5);
	bool pieces_agree = true;
	for (size_t n = 0; n <= sizeof(d); n++) {
		struct sha256 s, t;
		sha256_init(&s);
		sha256_update(&s, d, n);
		sha256_final(&s, all + 32 * n);
		unsigned char again[32];
		sha256_init(&t);
		size_t at = 0, cut1 = n / 3, cut2 = 2 * n / 3;
		sha256_update(&t, d, cut1);
		for (at = cut1; at < cut2; at += 7)
			sha256_update(&t, d + at, cut2 - at < 7 ? cut2 - at : 7);
		sha256_update(&t, d + cut2, n - cut2);
		sha256_final(&t, again);
		pieces_agree &= !memcmp(again, all + 32 * n, 32);
	}
	char h[65];
	sha256_hex(all, sizeof(all), h);
	is_str(h, "592e23ce24ad56f162c38df6afc25be59eb9dec5dc4b607691efde6edb4b1ce2", how);
	ok(pieces_agree, "... hashed in pieces, the same digests");
	char *a = xmalloc(1000000);
	memset(a, 'a', 1000000);
	sha256_hex(a, 1000000, h);
	free(a);
	is_str(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
	       "... a million 'a'");
}

static void test_hash(void)
{
	char h[65], m[33];
	sha256_hex("abc", 3, h);
	is_str(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256 of abc");
	sha256_use(false);
	sha256_check("sha256, portable: 1,101 lengths as hashlib");
	if (sha256_use(true))
		sha256_check("sha256, SHA extensions: 1,101 lengths as hashlib");
	else
		ok(true, "sha256, SHA extensions: skipped (the CPU has none)");
	sha256_hex("abc", 3, h);
	is_str(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256 of abc, again");
	md5_hex("", 0, m);
	is_str(m, "d41d8cd98f00b204e9800998ecf8427e", "md5 of the empty string");
}

/* file_read_regular_at reads small files with one read and bigger ones to their end */
static void test_read_regular(void)
{
	char dir[] = "/tmp/silt-unit-XXXXXX";
	if (!mkdtemp(dir)) {
		ok(false, "mkdtemp");
		return;
	}
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	static const size_t sizes[] = {0, 1, 32767, 32768, 32769, 100000};
	bool all = dfd >= 0;
	for (size_t i = 0; i < ARRAY_LEN(sizes) && all; i++) {
		char *text = xmalloc(sizes[i] + 1);
		for (size_t k = 0; k < sizes[i]; k++)
			text[k] = (char)('a' + (k * 7 + i) % 26);
		int fd = openat(dfd, "f.sql", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		all = fd >= 0 && write(fd, text, sizes[i]) == (ssize_t)sizes[i];
		if (fd >= 0)
			close(fd);
		size_t len = 0;
		char *got = all ? file_read_regular_at(dfd, "f.sql", &len) : NULL;
		all = got && len == sizes[i] && !memcmp(got, text, len) && got[len] == 0;
		free(got);
		free(text);
	}
	ok(all, "file_read_regular_at reads files of 0 to 100,000 bytes whole");
	errno = 0;
	ok(dfd >= 0 && !file_read_regular_at(dfd, "missing.sql", NULL) && errno == ENOENT,
	   "file_read_regular_at: a missing file is NULL with errno");
	/* file_replace: over an existing file, and where there is none */
	char a[64], b[64];
	snprintf(a, sizeof(a), "%s/new.tmp", dir);
	snprintf(b, sizeof(b), "%s/f.sql", dir);
	int fd = open(a, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	bool wrote = fd >= 0 && write(fd, "new", 3) == 3;
	if (fd >= 0)
		close(fd);
	size_t len = 0;
	char *got = wrote && file_replace(a, b) == 0 ? file_read_all(b, &len) : NULL;
	ok(got && len == 3 && !memcmp(got, "new", 3) && access(a, F_OK) != 0,
	   "file_replace puts the new file in the old one's place and leaves no other name");
	free(got);
	fd = open(a, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	snprintf(b, sizeof(b), "%s/fresh.json", dir);
	ok(fd >= 0 && file_replace(a, b) == 0 && access(b, F_OK) == 0 && access(a, F_OK) != 0,
	   "file_replace renames where nothing was");
	unlink(b);
	if (dfd >= 0) {
		unlinkat(dfd, "f.sql", 0);
		close(dfd);
	}
	rmdir(dir);
}

void test_base(void)
{
	test_arena();
#if defined(__SANITIZE_ADDRESS__)
	test_arena_poison();
#endif
	test_buf();
	test_read_regular();
	test_map();
	test_diag();
	test_hash();
}
