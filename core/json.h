/*
 * NAME
 *	json.h - a small streaming JSON writer for --json output and reports
 * SUMMARY
 *	Commas and nesting are handled by the writer; strings are escaped
 *	(control characters as \u00XX, invalid UTF-8 replaced by U+FFFD).
 *	GLib has no JSON writer and json-glib is not in the fixed stack, so
 *	core keeps this one (docs/formats/plan-json.md uses it).
 */
#ifndef MSM_CORE_JSON_H
#define MSM_CORE_JSON_H

#include <glib.h>

typedef struct MsmJson MsmJson;

MsmJson *msm_json_new(gboolean pretty);
void msm_json_begin_object(MsmJson *j);
void msm_json_end_object(MsmJson *j);
void msm_json_begin_array(MsmJson *j);
void msm_json_end_array(MsmJson *j);
/* Inside an object: the key of the next value. */
void msm_json_key(MsmJson *j, const char *key);
void msm_json_string(MsmJson *j, const char *s); /* NULL writes null */
void msm_json_int(MsmJson *j, gint64 v);
void msm_json_bool(MsmJson *j, gboolean v);
void msm_json_null(MsmJson *j);
/* Key and value in one call. */
void msm_json_kv_string(MsmJson *j, const char *key, const char *s);
void msm_json_kv_int(MsmJson *j, const char *key, gint64 v);
void msm_json_kv_bool(MsmJson *j, const char *key, gboolean v);
/* Frees the writer and returns the text. (transfer full) */
char *msm_json_finish(MsmJson *j);

#endif
