/* opt.c - command-line options with config-file defaults (see opt.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "opt.h"
#include "prog.h"

/* Where the option being handled came from, for messages and exit codes. */
static struct {
	char where[512];        /* "FILE:LINE:COL" for a config value, "" for argv */
	char name[128];         /* "-f", "--fraction" or the config key */
} cur;

void
opt_fail(const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (cur.where[0])
		die(WN_ECONFIG, "%s: %s: %s", cur.where, cur.name, msg);
	die(WN_EUSAGE, "%s: %s", cur.name, msg);
}

double
opt_double(const char *arg, double lo, double hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || *end != '\0' || errno == ERANGE || !isfinite(v))
		opt_fail("\"%s\" is not a number", arg);
	if (v < lo || v > hi)
		opt_fail("%s is out of range (%g to %g)", arg, lo, hi);
	return v;
}

long long
opt_int(const char *arg, long long lo, long long hi)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (end == arg || *end != '\0' || errno == ERANGE)
		opt_fail("\"%s\" is not a whole number", arg);
	if (v < lo || v > hi)
		opt_fail("%s is out of range (%lld to %lld)", arg, lo, hi);
	return v;
}

unsigned long long
opt_seed(const char *arg)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (end == arg || *end != '\0' || errno == ERANGE || arg[0] == '-')
		opt_fail("\"%s\" is not a seed (a whole number from 0 to 18446744073709551615)", arg);
	return v;
}

int
opt_choice(const char *arg, const char *const *choices)
{
	char list[512] = "";

	for (int i = 0; choices[i]; i++)
		if (strcmp(arg, choices[i]) == 0)
			return i;
	for (int i = 0; choices[i]; i++) {
		strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
		strncat(list, choices[i], sizeof list - strlen(list) - 1);
	}
	opt_fail("\"%s\" is not one of: %s", arg, list);
}

/* The -c/--config and --section arguments, if any, found before getopt
 * runs (the config is applied first, so that the command line wins). */
static void
find_config(int argc, char **argv, const char **path, const char **section)
{
	*path = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0)
			break;
		if ((strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) && i + 1 < argc)
			*path = argv[++i];
		else if (strncmp(a, "--config=", 9) == 0)
			*path = a + 9;
		else if (strcmp(a, "--section") == 0 && i + 1 < argc)
			*section = argv[++i];
		else if (strncmp(a, "--section=", 10) == 0)
			*section = a + 10;
		else if (strncmp(a, "-c", 2) == 0 && a[2] != '\0')
			*path = a + 2;
	}
}

/* Keys of the config section that belong to sibling commands (see
 * opt_config_siblings), or NULL. */
static const char *const *siblings;

void
opt_config_siblings(const char *const *keys)
{
	siblings = keys;
}

static int
is_sibling(const char *key)
{
	for (size_t i = 0; siblings != NULL && siblings[i] != NULL; i++)
		if (strcmp(siblings[i], key) == 0)
			return 1;
	return 0;
}

/* The loaded config: handlers keep pointers to its values, so it lives
 * until exit. */
static struct cfg loaded;

static void
free_loaded(void)
{
	cfg_free(&loaded);
}

static void
apply_config(const char *path, const char *section, const struct option *longopts,
             opt_handler *handler)
{
	struct cfg c;
	struct wn_err err = { 0 };

	if (cfg_load(&c, path, section, &err) != 0)
		die_err(&err);
	for (size_t i = 0; i < c.n; i++) {
		const struct cfg_entry *e = &c.e[i];
		const struct option *o = NULL;

		for (const struct option *l = longopts; l->name; l++)
			if (strcmp(l->name, e->key) == 0 && strcmp(l->name, "config") != 0 &&
			    strcmp(l->name, "help") != 0)
				o = l;
		snprintf(cur.where, sizeof cur.where, "%s:%d:%d", path, e->line, e->col);
		snprintf(cur.name, sizeof cur.name, "%s", e->key);
		if (o == NULL && is_sibling(e->key))
			continue;       /* another command of the program reads it */
		if (o == NULL) {
			char known[1024] = "";
			for (const struct option *l = longopts; l->name; l++) {
				if (strcmp(l->name, "config") == 0 || strcmp(l->name, "help") == 0)
					continue;
				strncat(known, known[0] ? ", " : "", sizeof known - strlen(known) - 1);
				strncat(known, l->name, sizeof known - strlen(known) - 1);
			}
			die(WN_ECONFIG, "%s: unknown key \"%s\" in section \"%s\" (known keys: %s)",
			    cur.where, e->key, section, known);
		}
		if (o->has_arg == no_argument) {
			static const char *const truth[] = { "true", "false", "yes", "no", "on", "off", NULL };
			int t = opt_choice(e->value, truth);
			if (t % 2 == 0)
				handler(o->val, NULL);
		} else {
			handler(o->val, e->value);
		}
	}
	loaded = c;
	atexit(free_loaded);
	cur.where[0] = '\0';
}

/* The getopt values of the --version that opt_parse adds to every table
 * and of the --section it adds to the tables of programs with -c. */
enum { OPT_VERSION = 0x10000, OPT_SECTION };

/* -h and --version for every program alike: print to stdout, then exit 0
 * only if stdout took it (efshut: 74 on a full disk or /dev/full). */
static _Noreturn void
help_or_version(int c, void (*usage_fn)(FILE *))
{
	if (c == 'h')
		usage_fn(stdout);
	else
		printf("%s %s\n", progname, WINNOW_VERSION);
	efshut(stdout, "<stdout>");
	exit(0);
}

int
opt_parse(int argc, char **argv, const char *section, const char *shortopts,
          const struct option *longopts, opt_handler *handler, void (*usage_fn)(FILE *))
{
	const char *cfgpath = NULL, *named = NULL;
	char optstring[256];
	struct option *all;
	size_t n = 0;
	int c, longindex;

	if (section != NULL)
		find_config(argc, argv, &cfgpath, &named);
	/* the program's table plus --version (and --section with -c) */
	while (longopts[n].name != NULL)
		n++;
	all = ecalloc(n + 3, sizeof *all);
	memcpy(all, longopts, n * sizeof *all);
	all[n] = (struct option){ "version", no_argument, 0, OPT_VERSION };
	if (section != NULL)
		all[n + 1] = (struct option){ "section", required_argument, 0, OPT_SECTION };

	if (named != NULL) {
		/* one name, as a YAML key: a typo would read an absent
		 * section, i.e. silently no defaults */
		if (named[0] == '\0' || strcspn(named, " \t:#{}[],") != strlen(named))
			die(WN_EUSAGE, "--section: \"%s\" is not a section name", named);
		if (cfgpath == NULL)
			die(WN_EUSAGE, "--section %s: no -c CONFIG to read it from", named);
		section = named;
	}
	if (cfgpath != NULL)
		apply_config(cfgpath, section, longopts, handler);
	/* ':' first: report a missing argument as ':' rather than '?' */
	snprintf(optstring, sizeof optstring, ":%s", shortopts);
	opterr = 0;
	optind = 1;
	for (;;) {
		longindex = -1;
		c = getopt_long(argc, argv, optstring, all, &longindex);
		if (c == -1)
			break;
		if (c == 'h' || c == OPT_VERSION) {
			free(all);
			help_or_version(c, usage_fn);
		}
		if (c == '?' || c == ':') {
			const char *what = c == '?' ? "unknown option" : "option needs an argument";
			if (optopt)
				fprintf(stderr, "%s: %s: -%c\n", progname, what, optopt);
			else
				fprintf(stderr, "%s: %s: %s\n", progname, what, argv[optind - 1]);
			usage_fn(stderr);
			free(all);
			exit(WN_EUSAGE);
		}
		if (c == OPT_SECTION) {
			/* read before the config, above, if written in full */
			if (named == NULL)
				die(WN_EUSAGE, "write --section in full: it is read before the other options");
			continue;
		}
		if (longindex >= 0)
			snprintf(cur.name, sizeof cur.name, "--%s", all[longindex].name);
		else
			snprintf(cur.name, sizeof cur.name, "-%c", c);
		handler(c, optarg);
	}
	free(all);
	return optind;
}
