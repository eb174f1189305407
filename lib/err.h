/*
 * err.h - error reports that library code hands back to programs.
 *
 * Library functions never print and never exit: on failure they fill a
 * struct wn_err with an exit code (sysexits, see winnow-formats(5)) and a
 * message that names the place ("emb.npy: header: ...", "in.tsv:12: ...")
 * and return -1 or NULL.  Only the program in bin/ decides to exit.
 */
#ifndef WN_ERR_H
#define WN_ERR_H

enum wn_exit {
	WN_OK        = 0,   /* success */
	WN_EUSAGE    = 64,  /* bad command line */
	WN_EDATA     = 65,  /* bad input data */
	WN_ENOINPUT  = 66,  /* an input file is missing or unreadable */
	WN_ESOFTWARE = 70,  /* internal error */
	WN_ECANTCREAT= 73,  /* cannot create an output file */
	WN_EIO       = 74,  /* read or write failed */
	WN_ETEMPFAIL = 75,  /* temporary failure: retry later */
	WN_ECONFIG   = 78   /* bad configuration file */
};

struct wn_err {
	int code;           /* one of enum wn_exit; 0 when nothing went wrong */
	char msg[1024];     /* "FILE:LINE: what is wrong", without program name */
};

/* The plural "s" of a count in a message: "%lld row%s", n, WN_S(n). */
#define WN_S(n) ((n) == 1 ? "" : "s")

/* Fill err (if not NULL) with code and a printf-style message; return -1. */
int wn_seterr(struct wn_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
