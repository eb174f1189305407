/*
 * clock.h - the monotonic clock in seconds, for the timings programs
 * report and the training time a checkpoint keeps (surrogate/train.h).
 */
#ifndef WN_CLOCK_H
#define WN_CLOCK_H

double wn_now(void);

#endif
