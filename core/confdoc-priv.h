/*
 * NAME
 *	confdoc-priv.h - placement of new entries, shared by confdoc.c and the formats
 * SUMMARY
 *	Where msm_confdoc_set() puts a new entry of a section: after the last
 *	ENTRY of that section, else after the section's (last) header; the
 *	formats' renderers need the same answer to know what precedes the new
 *	text. Answered from the document's index in O(1) amortised, so
 *	appending many entries stays linear.
 * OWNERSHIP
 *	Nothing is allocated for the caller.
 * ERRORS
 *	None: -1 means "no such place".
 */
#ifndef MSM_CORE_CONFDOC_PRIV_H
#define MSM_CORE_CONFDOC_PRIV_H

#include <msmigrate/confdoc.h>

/* The index of the node a new entry of section goes after (its last entry, else its
 * header), or -1; *first_section_r: the index of the first SECTION node, or -1. */
gint confdoc_place_new(const MsmConfDoc *doc, const char *section, gint *first_section_r);

#endif
