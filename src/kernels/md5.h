/*
 * md5.h
 *		MD5 (RFC 1321) of a byte string as 32 lower-case hex digits, for the
 *		md5(text) kernel: the digest PostgreSQL's md5() returns.
 */
#ifndef PARPROC_KERNELS_MD5_H
#define PARPROC_KERNELS_MD5_H

#include <stddef.h>

/* Write the 32 hex digits of MD5(data[0..len)) to hex (not terminated). */
extern void pp_md5_hex(const void *data, size_t len, char *hex);

#endif							/* PARPROC_KERNELS_MD5_H */
