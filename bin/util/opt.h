/*
 * opt.h - command-line options with defaults from a YAML config (programs
 * only: these exit).
 *
 * opt_parse() first looks for -c FILE / --config FILE, loads the section of
 * FILE named after the program (config.h), or the one --section NAME names
 * (a common option of every program with -c: a second embedding of a
 * pipeline reads "dedup-embed"), and hands each key to the
 * program's handler as if it were --KEY=VALUE, then hands over the command
 * line, so command-line options override the config.  A config key must be
 * the name of one of the program's long options; a boolean option takes
 * true/false.
 *
 * The value parsers below know where the value came from: a bad value on
 * the command line exits 64 naming the option, a bad value in the config
 * exits 78 naming FILE:LINE:COLUMN and the key.
 */
#ifndef WN_OPT_H
#define WN_OPT_H

#include <getopt.h>
#include <stdio.h>

/* Called once per option: opt is the short option character (or the
 * longopts val), arg its argument or NULL. */
typedef void opt_handler(int opt, const char *arg);

/* Parse argv; return the index of the first operand.  section is the
 * config section to read ("select"), or NULL for no config support.
 * shortopts must contain "c:" when section is not NULL, and longopts
 * an entry {"config", required_argument, 0, 'c'}; the handler may ignore
 * 'c'.  Unknown options: usage_fn() is called and the program exits 64.
 * -h (shortopts must hold it), --version (added to every table) and
 * --section (added when section is not NULL) are handled here, not by the handler: the usage or "PROG VERSION" goes to
 * stdout and the program exits 0, or 74 if stdout could not take it. */
int opt_parse(int argc, char **argv, const char *section,
              const char *shortopts, const struct option *longopts,
              opt_handler *handler, void (*usage_fn)(FILE *));

/* For a program whose commands share one config section (winnow-manifest
 * split, to-jsonl, from-jsonl read "manifest"): keys (NULL-terminated,
 * borrowed) that the section may hold for the other commands.  Such a key
 * is skipped by a command that has no option of its name, instead of
 * being refused as unknown. */
void opt_config_siblings(const char *const *keys);

/* Die as a usage error about the option being handled (exit 64, or 78 with
 * FILE:LINE:COL when it came from a config file). */
void opt_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

double opt_double(const char *arg, double lo, double hi);
long long opt_int(const char *arg, long long lo, long long hi);
/* Index of arg in the NULL-terminated list choices, or opt_fail. */
int opt_choice(const char *arg, const char *const *choices);
/* A seed: any unsigned 64-bit integer. */
unsigned long long opt_seed(const char *arg);

#endif
