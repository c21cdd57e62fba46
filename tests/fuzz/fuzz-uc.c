/*
 * NAME
 *	fuzz-uc.c - libFuzzer target for the Unified Configuration conversion
 * SUMMARY
 *	The first input byte picks a legacy file name (msg.conf, imta.cnf,
 *	mappings, ...), the rest is that file. msm_uc_from_legacy() must either
 *	fail with a message or give a config.xml that parses inside the model;
 *	then msm_uc_to_legacy() must succeed (what one direction accepts, the
 *	other gives back) and every setting must come back: the same entries
 *	(section, key, value) in the same order, restricted msg.conf names
 *	after the others.
 */
#include "config.h"

#include <msmigrate/msmigrate.h>

#include "uc-convert.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {
    "msg.conf",       "option.dat",     "imta.cnf",           "mappings",
    "job_controller.cnf", "dispatcher.cnf", "conversions",    "internet.rules",
    "tcp_local_option",   "tcp_local_headers.opt",
};

static gboolean
restricted(const char *k)
{
    return g_ascii_strcasecmp(k, "local.serveruid") == 0 ||
           g_ascii_strcasecmp(k, "local.servergid") == 0;
}

/* "section\x1fkey\x1fvalue" of every entry; restricted keys last. */
static GPtrArray *
settings(const char *name, GBytes *b)
{
    gsize len = 0;
    const char *d = g_bytes_get_data(b, &len);
    MsmConfDoc *doc = msm_confdoc_parse(msm_conf_format_for_file(name), name, d ? d : "", len,
                                        NULL);
    if (doc == NULL)
        abort();
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *tail = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *e = msm_confdoc_entries(doc);
    for (guint i = 0; i < e->len; i++) {
        const MsmConfNode *n = e->pdata[i];
        char *s = g_strdup_printf("%s\x1f%s\x1f%s", n->section, n->key, n->value);
        g_ptr_array_add(strcmp(name, "msg.conf") == 0 && restricted(n->key) ? tail : out, s);
    }
    for (guint i = 0; i < tail->len; i++)
        g_ptr_array_add(out, g_strdup(tail->pdata[i]));
    g_ptr_array_unref(tail);
    g_ptr_array_unref(e);
    msm_confdoc_free(doc);
    return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *name = names[data[0] % G_N_ELEMENTS(names)];
    GBytes *b = g_bytes_new(data + 1, size - 1);
    GPtrArray *files = g_ptr_array_new_with_free_func((GDestroyNotify)msm_config_file_free);
    g_ptr_array_add(files, msm_config_file_new(name, b));
    GError *err = NULL;
    GPtrArray *uc = msm_uc_from_legacy(files, &err);
    if (uc == NULL) {
        if (err == NULL || err->message == NULL)
            abort();
        g_error_free(err);
        g_ptr_array_unref(files);
        g_bytes_unref(b);
        return 0;
    }
    GPtrArray *back = msm_uc_to_legacy(uc, &err);
    if (back == NULL)
        abort(); /* accepted one way, refused the other */
    GPtrArray *want = settings(name, b);
    const MsmConfigFile *got = NULL;
    for (guint i = 0; i < back->len; i++)
        if (strcmp(((MsmConfigFile *)back->pdata[i])->relpath, name) == 0)
            got = back->pdata[i];
    if (got == NULL) {
        if (want->len != 0)
            abort(); /* settings lost with their file */
    } else {
        GPtrArray *have = settings(name, got->content);
        if (have->len != want->len)
            abort();
        for (guint i = 0; i < have->len; i++)
            if (strcmp(have->pdata[i], want->pdata[i]) != 0)
                abort(); /* a setting changed */
        g_ptr_array_unref(have);
    }
    g_ptr_array_unref(want);
    g_ptr_array_unref(back);
    g_ptr_array_unref(uc);
    g_ptr_array_unref(files);
    g_bytes_unref(b);
    return 0;
}
