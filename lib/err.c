/* err.c - filling struct wn_err (see err.h). */
#include <stdarg.h>
#include <stdio.h>

#include "err.h"

int
wn_seterr(struct wn_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return -1;
}
