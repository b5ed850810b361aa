/* Case files and directory listing for the selftest suites. */
#include <dirent.h>
#include <sys/stat.h>

#include "cli.h"
#include "casefile.h"

int casefile_load(struct casefile *cf, const char *path)
{
	memset(cf, 0, sizeof(*cf));
	cf->text = cli_read_file(path, &cf->len);
	if (!cf->text)
		return -1;
	const char *p = cf->text, *end = cf->text + cf->len;
	struct case_section *cur = NULL;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		if (eol - p >= 4 && !memcmp(p, "--- ", 4)) {
			if (cur && cur->body.p) {
				/* the section ends before this marker, without its last newline */
				size_t n = (size_t)(p - cur->body.p);
				cur->body.n = n ? n - 1 : 0;
			}
			struct case_section s = { 0 };
			const char *q = p + 4, *sp = memchr(q, ' ', (size_t)(eol - q));
			s.name = str_make(q, (size_t)((sp ? sp : eol) - q));
			if (sp)
				s.arg = str_trim(str_make(sp + 1, (size_t)(eol - sp - 1)));
			s.body.p = nl ? nl + 1 : end;
			vec_push(&cf->sections, s);
			cur = &cf->sections.v[cf->sections.n - 1];
		}
		p = nl ? nl + 1 : end;
	}
	if (cur) {
		size_t n = (size_t)(end - cur->body.p);
		if (n && end[-1] == '\n')
			n--;
		cur->body.n = n;
	}
	return 0;
}

void casefile_release(struct casefile *cf)
{
	free(cf->text);
	vec_free(&cf->sections);
}

const struct case_section *casefile_get(const struct casefile *cf, const char *name)
{
	for (size_t i = 0; i < cf->sections.n; i++)
		if (str_eqc(cf->sections.v[i].name, name))
			return &cf->sections.v[i];
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef VEC(char *) strvec;

static void walk(const char *dir, const char *suffix, strvec *out)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		struct buf p = BUF_INIT;
		buf_printf(&p, "%s/%s", dir, e->d_name);
		struct stat sb;
		if (stat(p.p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			walk(p.p, suffix, out);
			buf_release(&p);
			continue;
		}
		size_t n = strlen(e->d_name), sl = strlen(suffix);
		if (n >= sl && !strcmp(e->d_name + n - sl, suffix))
			vec_push(out, buf_detach(&p, NULL));
		else
			buf_release(&p);
	}
	closedir(d);
}

char **list_files(const char *dir, const char *suffix, size_t *n)
{
	strvec v = { 0 };
	walk(dir, suffix, &v);
	if (v.n)
		qsort(v.v, v.n, sizeof(char *), cmp_str);
	*n = v.n;
	vec_push(&v, NULL);
	return v.v;
}

char **load_disabled(const char *dir)
{
	VEC(char *) v = { 0 };
	struct buf path = BUF_INIT;
	buf_printf(&path, "%s/DISABLED", dir);
	FILE *f = fopen(path.p, "r");
	buf_release(&path);
	if (f) {
		char line[1024];
		while (fgets(line, sizeof(line), f)) {
			struct str s = str_trim(str_from(line));
			if (!s.n || s.p[0] == '#')
				continue;
			size_t w = 0;
			while (w < s.n && s.p[w] != ' ' && s.p[w] != '\t')
				w++;
			vec_push(&v, xmemdup0(s.p, w));
		}
		fclose(f);
	}
	vec_push(&v, NULL);
	return v.v;
}

bool is_disabled(char **disabled, const char *relpath)
{
	for (; *disabled; disabled++)
		if (!strcmp(*disabled, relpath))
			return true;
	return false;
}

void free_strv(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

int casefile_suite(const char *dir, bool (*run)(const struct casefile *cf, struct buf *why))
{
	size_t n;
	char **files = list_files(dir, ".case", &n);
	char **disabled = load_disabled(dir);
	int passed = 0, failed = 0, skipped = 0;
	size_t dl = strlen(dir);
	for (size_t i = 0; i < n; i++) {
		const char *rel = files[i] + dl + (files[i][dl] == '/');
		if (is_disabled(disabled, rel)) {
			printf("ok %zu - %s # SKIP disabled\n", i + 1, rel);
			skipped++;
			continue;
		}
		struct casefile cf;
		struct buf why = BUF_INIT;
		bool ok = casefile_load(&cf, files[i]) == 0 && run(&cf, &why);
		if (ok) {
			passed++;
			printf("ok %zu - %s\n", i + 1, rel);
		} else {
			failed++;
			printf("not ok %zu - %s\n#   %s\n", i + 1, rel, buf_cstr(&why));
		}
		buf_release(&why);
		casefile_release(&cf);
	}
	free_strv(files);
	free_strv(disabled);
	printf("1..%zu\n", n);
	printf("%d passed, %d failed", passed, failed);
	if (skipped)
		printf(", %d skipped", skipped);
	printf("\n");
	return failed ? 1 : 0;
}
