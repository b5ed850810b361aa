/* A run's own git work tree: when the store names a project repository (silt repo set), the
 * process executing a run clones it into <store folder>/checkouts/run-<id>, checks out the run's
 * commit (its git_sha; else its branch; else its environment's branch; else the repository's
 * default branch), records the commit on the run, runs the steps there and removes the folder
 * afterwards. git is run directly (no shell), so nothing in a SHA or branch name is
 * interpreted. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jobs.h"

extern char **environ;

/* Runs git with argv (NULL-terminated, argv[0] = "git"); its stdout into out when given (the
 * last newline dropped), its stderr into err. 0 when git exits 0. */
static int git(const char *const *argv, struct buf *out, struct buf *err)
{
	int po[2], pe[2];
	if (pipe(po) < 0)
		return -1;
	if (pipe(pe) < 0) {
		close(po[0]);
		close(po[1]);
		return -1;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	posix_spawn_file_actions_addclose(&fa, po[0]);
	posix_spawn_file_actions_addclose(&fa, pe[0]);
	pid_t pid;
	int rc = posix_spawnp(&pid, "git", &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	close(pe[1]);
	if (rc != 0) {
		close(po[0]);
		close(pe[0]);
		buf_puts(err, "cannot run git (is it installed?)");
		return -1;
	}
	/* read both pipes; git's output here is small, stdout first then stderr is fine */
	char tmp[4096];
	ssize_t n;
	while ((n = read(po[0], tmp, sizeof(tmp))) > 0)
		if (out)
			buf_append(out, tmp, (size_t)n);
	while ((n = read(pe[0], tmp, sizeof(tmp))) > 0)
		buf_append(err, tmp, (size_t)n);
	close(po[0]);
	close(pe[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		;
	if (out && out->n && out->p[out->n - 1] == '\n')
		out->p[--out->n] = 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void cli_checkout_remove(const char *dir)
{
	if (dir)
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int cli_checkout_run(struct store *s, const struct store_run *r, const struct store_env *env,
                     struct arena *a, const char **dir, struct diag *d)
{
	*dir = NULL;
	const char *repo;
	if (store_repo_get(s, a, &repo, NULL, d) < 0)
		return -1;
	if (!repo)
		return 0;
	/* <store folder>/checkouts/run-<id> */
	const char *base = store_local_dir(s, a);
	if (file_make_parents(arena_printf(a, "%s/checkouts", base)) < 0) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "cannot create %s: %s", base,
		         strerror(errno));
		return -1;
	}
	const char *root = arena_printf(a, "%s/checkouts", base);
	const char *path = arena_printf(a, "%s/run-%lld", root, (long long)r->id);
	mkdir(root, 0700);
	cli_checkout_remove(path);
	const char *branch = r->git_branch ? r->git_branch : env->git_branch;
	const char *ref = r->git_sha ? r->git_sha : branch ? arena_printf(a, "origin/%s", branch) : "HEAD";
	struct buf out = BUF_INIT, err = BUF_INIT;
	const char *clone[] = { "git", "clone", "--quiet", "--no-checkout", "--", repo, path, NULL };
	int rc = git(clone, NULL, &err);
	if (rc == 0) {
		const char *co[] = { "git", "-C", path, "checkout", "--quiet", "--detach", ref, "--", NULL };
		rc = git(co, NULL, &err);
		if (rc < 0 && r->git_sha) { /* a commit no branch holds (a pull request's head): fetch it */
			buf_reset(&err);
			const char *fetch[] = { "git", "-C", path, "fetch", "--quiet", "origin", r->git_sha, NULL };
			const char *co2[] = { "git", "-C", path, "checkout", "--quiet", "--detach", r->git_sha, "--", NULL };
			rc = git(fetch, NULL, &err);
			if (rc == 0)
				rc = git(co2, NULL, &err);
		}
	}
	const char *head[] = { "git", "-C", path, "rev-parse", "HEAD", NULL };
	if (rc == 0)
		rc = git(head, &out, &err);
	if (rc < 0) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "cannot check out %s of %s for run %lld: %s",
		         ref, repo, (long long)r->id, err.n ? buf_cstr(&err) : "git failed");
		cli_checkout_remove(path);
	} else {
		printf("Checked out %s (%s) of %s\n", buf_cstr(&out), ref, repo);
		rc = store_run_set_git(s, r->id, buf_cstr(&out), branch, d);
		*dir = path;
	}
	buf_release(&out);
	buf_release(&err);
	return rc;
}
