/*
 * winnow - run a winnow program by its short name: "winnow select -f 0.3"
 * runs winnow-select.  The program is looked for first beside this one
 * (so a build tree works without installing), then on PATH.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "prog.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: winnow COMMAND [ARG ...]\n"
	    "       winnow -h | --version\n"
	    "commands: manifest embed fit score select train report\n"
	    "see winnow(7) for the pipeline and winnow-COMMAND(1) for each program\n");
}

int
main(int argc, char **argv)
{
	char self[PATH_MAX], prog[PATH_MAX + 64];
	ssize_t n;

	if (argc < 2) {
		usage(stderr);
		return WN_EUSAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		efshut(stdout, "<stdout>");    /* 74 if it could not be written */
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		puts("winnow " WINNOW_VERSION);
		efshut(stdout, "<stdout>");
		return 0;
	}
	if (argv[1][0] == '-' || strchr(argv[1], '/') != NULL) {
		fprintf(stderr, "winnow: \"%s\" is not a command\n", argv[1]);
		usage(stderr);
		return WN_EUSAGE;
	}
	/* beside this executable */
	if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) > 0) {
		char *slash;
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			snprintf(prog, sizeof prog, "%s/winnow-%s", self, argv[1]);
			if (access(prog, X_OK) == 0) {
				argv[1] = prog;
				execv(prog, argv + 1);
			}
		}
	}
	snprintf(prog, sizeof prog, "winnow-%s", argv[1]);
	argv[1] = prog;
	execvp(prog, argv + 1);
	fprintf(stderr, "winnow: %s: %s\n", prog, errno == ENOENT ? "no such command" : strerror(errno));
	return errno == ENOENT ? WN_EUSAGE : WN_ESOFTWARE;
}
