/*
 * NAME
 *	catalogue.h - what the design knows about hops no matter which plugins are loaded
 * SUMMARY
 *	The DESIGN §3 table: which plugin (and distribution package) provides each
 *	hop, so a plan that misses one can name what to install; and the vendor's
 *	refusals (origins older than NMS 3.01, 5.x/6.x straight to 8.x) with the
 *	reason the seeds give.
 */
#ifndef MSM_CORE_CATALOGUE_H
#define MSM_CORE_CATALOGUE_H

#include <msmigrate/msmigrate.h>

typedef struct {
    const char *from;
    const char *to;
    const char *plugin;  /* "ims52" */
    const char *package; /* "msmigrate-plugin-ims52" */
} MsmCatalogueHop;

/* All hops of the design, ended by {NULL}. (static) */
const MsmCatalogueHop *msm_catalogue_hops(void);
/* The catalogue entry for from -> to, or NULL. */
const MsmCatalogueHop *msm_catalogue_find(const char *from, const char *to);
/* The distribution package of a plugin name: "msmigrate-plugin-<name>". (transfer full) */
char *msm_catalogue_package_for(const char *plugin);
/* NULL when the vendor allows a hop from -> to, else the reason (static), e.g. the
 * seed 004 rule for 5.x/6.x -> 8.x. */
const char *msm_catalogue_refusal(const char *from, const char *to);

#endif
