/* dbt deps: installs a project's packages into packages-install-path (dbt_packages/) as dbt
 * does — local packages as a symlink to their directory, git packages by running git — and
 * writes package-lock.yml. A lock whose sha1_hash is the packages' own pins the git revisions
 * it names (--upgrade resolves them again; --lock writes the lock without installing). Hub,
 * tarball and private packages need a registry silt cannot reach: each gets a clear error
 * naming the package. */
#include <errno.h>
#include <limits.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "project_int.h"
#include "json/json.h"

/* Runs argv (no shell); returns the exit status, or -1 when it could not start. */
static int run(char *const argv[], struct buf *err)
{
	int pipefd[2];
	if (pipe(pipefd) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(pipefd[1], 2);
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		close(pipefd[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	char chunk[4096];
	ssize_t n;
	while ((n = read(pipefd[0], chunk, sizeof(chunk))) > 0)
		buf_append(err, chunk, (size_t)n);
	close(pipefd[0]);
	int status;
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int remove_tree(const char *path)
{
	char *argv[] = { "rm", "-rf", (char *)path, NULL };
	struct buf out = BUF_INIT;
	int rc = run(argv, &out);
	buf_release(&out);
	return rc;
}

/* The package name a directory's dbt_project.yml declares, allocated in a. */
static const char *package_name(struct project *root, const char *dir, struct arena *a, struct diag *d)
{
	struct project pkg;
	const char *name = NULL;
	if (project_load_package(&pkg, root, dir, d) == 0 && pkg.name)
		name = arena_strndup(a, pkg.name, strlen(pkg.name));
	project_release(&pkg);
	return name;
}

static const char *spec_label(const struct package_spec *s)
{
	switch (s->kind) {
	case PKG_LOCAL: return "local";
	case PKG_GIT: return "git";
	case PKG_HUB: return "package";
	case PKG_TARBALL: return "tarball";
	default: return "private";
	}
}

static int install_local(struct project *p, const struct package_spec *s, const char *dest_root,
                         struct arena *a, const char **name, struct diag *d)
{
	char *src = s->source[0] == '/' ? arena_strndup(a, s->source, strlen(s->source))
	                                : arena_printf(a, "%s/%s", p->dir, s->source);
	char real[PATH_MAX];
	if (!realpath(src, real)) {
		diag_add(d, DIAG_ERROR, p->packages.file, s->line, s->col, NULL, 0,
		         "local package '%s' does not exist: %s", s->source, strerror(errno));
		return -1;
	}
	*name = package_name(p, real, a, d);
	if (!*name)
		return -1;
	char *dest = arena_printf(a, "%s/%s", dest_root, *name);
	remove_tree(dest);
	if (symlink(real, dest) < 0) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "cannot link %s to %s: %s", dest, real,
		         strerror(errno));
		return -1;
	}
	return 0;
}

/* Clones s at its revision (pinned: the lock's, instead of the spec's) and, when install, moves
 * it into dest_root under its project's name; *sha is the commit it resolved to. */
static int install_git(struct project *p, const struct package_spec *s, const char *pinned,
                       bool install, const char *dest_root, struct arena *a, const char **name,
                       const char **sha, struct diag *d)
{
	char *tmp = arena_printf(a, "%s/.silt-clone-%d", dest_root, (int)getpid());
	remove_tree(tmp);
	struct buf rev = BUF_INIT;
	if (pinned)
		buf_puts(&rev, pinned);
	else if (s->version.type == VT_STR)
		buf_append(&rev, s->version.s, s->version.len);
	else if (s->version.type == VT_INT)
		buf_printf(&rev, "%lld", (long long)s->version.i);
	else if (s->version.type == VT_FLOAT)
		v_to_str(s->version, &rev);
	struct buf out = BUF_INIT;
	int rc;
	/* a branch or tag clones shallow, as dbt does; anything else (a commit) clones whole and
	 * checks out */
	if (rev.n) {
		char *argv[] = { "git", "clone", "--quiet", "--depth", "1", "--branch", rev.p, (char *)s->source, tmp, NULL };
		rc = run(argv, &out);
		if (rc != 0) {
			remove_tree(tmp);
			buf_reset(&out);
			char *argv2[] = { "git", "clone", "--quiet", (char *)s->source, tmp, NULL };
			rc = run(argv2, &out);
			if (rc == 0) {
				char *argv3[] = { "git", "-C", tmp, "checkout", "--quiet", rev.p, NULL };
				rc = run(argv3, &out);
			}
		}
	} else {
		char *argv[] = { "git", "clone", "--quiet", "--depth", "1", (char *)s->source, tmp, NULL };
		rc = run(argv, &out);
	}
	if (rc != 0) {
		diag_add(d, DIAG_ERROR, p->packages.file, s->line, s->col, NULL, 0,
		         "git package '%s'%s%s could not be cloned (git exited %d): %s", s->source,
		         rev.n ? " at revision " : "", rev.n ? rev.p : "", rc, str_trim(buf_str(&out)).p);
		remove_tree(tmp);
		buf_release(&rev);
		buf_release(&out);
		return -1;
	}
	buf_reset(&out);
	char *argv4[] = { "git", "-C", tmp, "rev-parse", "HEAD", NULL };
	if (run(argv4, &out) == 0) {
		struct str h = str_trim(buf_str(&out));
		*sha = arena_strndup(a, h.p, h.n);
	}
	const char *dir = s->subdirectory ? arena_printf(a, "%s/%s", tmp, s->subdirectory) : tmp;
	*name = install ? package_name(p, dir, a, d) : "";
	int result = -1;
	if (!install) {
		result = 0;
	} else if (*name) {
		char *dest = arena_printf(a, "%s/%s", dest_root, *name);
		remove_tree(dest);
		if (rename(dir, dest) == 0)
			result = 0;
		else
			diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "cannot move %s to %s: %s", dir, dest,
			         strerror(errno));
	}
	remove_tree(tmp);
	buf_release(&rev);
	buf_release(&out);
	return result;
}

/* sha1 of the sorted JSON of each entry, as dbt's package-lock.yml sha1_hash. */
static void lock_hash(const struct packages *pk, char out[41])
{
	VEC(char *) lines = { 0 };
	for (size_t i = 0; i < pk->n; i++) {
		struct buf b = BUF_INIT;
		struct json_opts o = JSON_OPTS_INIT;
		o.sort_keys = true;
		json_write(&b, pk->v[i].raw, &o);
		vec_push(&lines, buf_detach(&b, NULL));
	}
	for (size_t i = 1; i < lines.n; i++)
		for (size_t j = i; j > 0 && strcmp(lines.v[j - 1], lines.v[j]) > 0; j--) {
			char *t = lines.v[j];
			lines.v[j] = lines.v[j - 1];
			lines.v[j - 1] = t;
		}
	struct buf all = BUF_INIT;
	for (size_t i = 0; i < lines.n; i++) {
		if (i)
			buf_putc(&all, '\n');
		buf_puts(&all, lines.v[i]);
		free(lines.v[i]);
	}
	vec_free(&lines);
	unsigned char h[SHA_DIGEST_LENGTH];
	SHA1((const unsigned char *)buf_cstr(&all), all.n, h);
	for (int i = 0; i < SHA_DIGEST_LENGTH; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
	buf_release(&all);
}

static void yaml_scalar(struct buf *b, const char *s)
{
	/* quote when a plain scalar would not read back as the same string */
	bool plain = *s && !strpbrk(s, ":#{}[],&*!|>'\"%@`") && s[0] != '-' && s[0] != ' ';
	if (plain) {
		buf_puts(b, s);
		return;
	}
	buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			buf_putc(b, '\'');
		buf_putc(b, *s);
	}
	buf_putc(b, '\'');
}

/* The git revisions package-lock.yml pins, by the packages' positions, when its sha1_hash is
 * the packages' (else NULL: there is no lock, or the specs changed since it was written). */
static const char **locked_revisions(struct project *p, struct buf *log)
{
	char *path = arena_printf(&p->a, "%s/package-lock.yml", p->dir);
	size_t len;
	char *text = file_read_all(path, &len);
	if (!text)
		return NULL;
	struct diag ignored;
	diag_init(&ignored);
	value lock = v_undef();
	int rc = yaml_load_value(&p->a, path, arena_strndup(&p->a, text, len), len, &lock, &ignored);
	free(text);
	diag_release(&ignored);
	char hash[41];
	lock_hash(&p->packages, hash);
	const char *had = rc == 0 ? v_item_str(lock, "sha1_hash") : NULL;
	value list = v_item(lock, "packages");
	if (!had || strcmp(had, hash) || list.type != VT_LIST || list.list->n != p->packages.n) {
		buf_puts(log, "package-lock.yml does not match packages.yml: resolving the packages "
		              "again\n");
		return NULL;
	}
	/* each git package's pin is the lock entry of the same repository and subdirectory (the hash
	 * does not see the packages' order) */
	const char **revs = arena_zalloc(&p->a, (p->packages.n + 1) * sizeof(*revs));
	for (size_t i = 0; i < p->packages.n; i++) {
		const struct package_spec *s = &p->packages.v[i];
		if (s->kind != PKG_GIT)
			continue;
		for (uint32_t k = 0; k < list.list->n && !revs[i]; k++) {
			value e = list.list->v[k];
			const char *git = v_item_str(e, "git"), *sub = v_item_str(e, "subdirectory");
			if (git && !strcmp(git, s->source) &&
			    (sub && s->subdirectory ? !strcmp(sub, s->subdirectory) : !sub && !s->subdirectory))
				revs[i] = v_item_str(e, "revision");
		}
		if (!revs[i])
			return NULL;
	}
	buf_puts(log, "Installing the revisions package-lock.yml pins\n");
	return revs;
}

int project_deps(struct project *p, const struct deps_opts *o, struct buf *log, struct diag *d)
{
	if (!p->packages.file || p->packages.n == 0) {
		buf_puts(log, "Warning: No packages were found in packages.yml\n");
		return 0;
	}
	/* refuse what needs a registry before touching anything */
	int bad = 0;
	for (size_t i = 0; i < p->packages.n; i++) {
		const struct package_spec *s = &p->packages.v[i];
		if (s->kind == PKG_LOCAL || s->kind == PKG_GIT)
			continue;
		diag_add(d, DIAG_ERROR, p->packages.file, s->line, s->col, NULL, 0,
		         "%s '%s' needs the dbt package hub or a download, which this machine cannot "
		         "reach; install it as a git or local package instead",
		         spec_label(s), s->source ? s->source : "?");
		bad++;
	}
	if (bad)
		return -1;
	const char *dest_root = p->packages_install_path[0] == '/'
	                            ? p->packages_install_path
	                            : arena_printf(&p->a, "%s/%s", p->dir, p->packages_install_path);
	if (mkdir(dest_root, 0777) < 0 && errno != EEXIST) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "cannot create %s: %s", dest_root, strerror(errno));
		return -1;
	}
	const char **pinned = o->upgrade ? NULL : locked_revisions(p, log);
	struct buf lock = BUF_INIT;
	buf_puts(&lock, "packages:\n");
	int rc = 0;
	for (size_t i = 0; i < p->packages.n && rc == 0; i++) {
		const struct package_spec *s = &p->packages.v[i];
		const char *name = NULL, *sha = NULL;
		if (s->kind == PKG_LOCAL) {
			if (!o->lock_only)
				rc = install_local(p, s, dest_root, &p->a, &name, d);
			buf_puts(&lock, "  - local: ");
			yaml_scalar(&lock, s->source);
			buf_putc(&lock, '\n');
		} else {
			rc = install_git(p, s, pinned ? pinned[i] : NULL, !o->lock_only, dest_root, &p->a,
			                 &name, &sha, d);
			buf_puts(&lock, "  - git: ");
			yaml_scalar(&lock, s->source);
			buf_puts(&lock, "\n    revision: ");
			yaml_scalar(&lock, sha ? sha : "HEAD");
			buf_putc(&lock, '\n');
			if (s->subdirectory) {
				buf_puts(&lock, "    subdirectory: ");
				yaml_scalar(&lock, s->subdirectory);
				buf_putc(&lock, '\n');
			}
		}
		if (rc == 0 && !o->lock_only) {
			buf_printf(log, "Installed from %s %s\n", spec_label(s), s->source);
			buf_printf(log, "  as package %s%s%s\n", name, sha ? " at " : "", sha ? sha : "");
		}
	}
	if (rc == 0) {
		char hash[41];
		lock_hash(&p->packages, hash);
		buf_printf(&lock, "sha1_hash: %s\n", hash);
		char *path = arena_printf(&p->a, "%s/package-lock.yml", p->dir);
		FILE *f = fopen(path, "w");
		if (!f || fwrite(lock.p, 1, lock.n, f) != lock.n) {
			diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "cannot write %s: %s", path, strerror(errno));
			rc = -1;
		}
		if (f && fclose(f) != 0 && rc == 0) {
			diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "cannot write %s", path);
			rc = -1;
		}
	}
	buf_release(&lock);
	return rc;
}
