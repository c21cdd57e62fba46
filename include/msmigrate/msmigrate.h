/*
 * NAME
 *	msmigrate.h - the msmigrate plugin SDK, all of it
 * SUMMARY
 *	Include this one header in a plugin. Conventions used throughout:
 *	- Errors: trailing GError **error (may be NULL); FALSE/NULL/-1 on
 *	  failure with *error set, never set on success (error.h).
 *	- Ownership is written on each prototype: (transfer full) = the caller
 *	  owns the result and frees it; (transfer none) = borrowed, do not free;
 *	  "takes ownership" on a parameter = the callee frees it.
 *	- IR values are created and freed only by their msm_*_new/free
 *	  functions (ir.h).
 */
#ifndef MSMIGRATE_MSMIGRATE_H
#define MSMIGRATE_MSMIGRATE_H

#include <msmigrate/error.h>
#include <msmigrate/types.h>
#include <msmigrate/ir.h>
#include <msmigrate/context.h>
#include <msmigrate/codec.h>
#include <msmigrate/migrator.h>
#include <msmigrate/plugin.h>
#include <msmigrate/layout.h>
#include <msmigrate/check.h>
#include <msmigrate/version.h>
#include <msmigrate/confdoc.h>
#include <msmigrate/merge.h>

#endif
