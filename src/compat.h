/*
 * compat.h
 *		What differs between the PostgreSQL versions parproc builds against,
 *		in one place: every other file uses the newest name and this header
 *		maps it for older servers.
 */
#ifndef PARPROC_COMPAT_H
#define PARPROC_COMPAT_H

#include "funcapi.h"

/* InitMaterializedSRF is the 15.1 name of 15.0's SetSingleFuncCall. */
#if PG_VERSION_NUM < 150001
#define InitMaterializedSRF(fcinfo, flags) SetSingleFuncCall(fcinfo, flags)
#endif

#endif							/* PARPROC_COMPAT_H */
