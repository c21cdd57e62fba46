/*
 * NAME
 *	fuzz-confdoc.c - libFuzzer target for the 18 configuration parsers
 * SUMMARY
 *	The first input byte picks a format, the rest is the file. Every parse
 *	must either fail with a clear error or give a document whose bytes are
 *	exactly the input; then the first entry is changed, one is added and
 *	one removed, and the result must parse again with the same format.
 */
#include "config.h"

#include <msmigrate/msmigrate.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const MsmConfFormat *const *all = msm_conf_formats();
    guint n = 0;
    while (all[n])
        n++;
    const MsmConfFormat *f = all[data[0] % n];
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    GError *err = NULL;
    MsmConfDoc *doc = msm_confdoc_parse(f, "fuzz", text, len, &err);
    if (doc == NULL) {
        if (err == NULL || err->message == NULL)
            abort();
        g_error_free(err);
        return 0;
    }
    GBytes *b = msm_confdoc_serialize(doc);
    gsize blen;
    const void *bd = g_bytes_get_data(b, &blen);
    if (blen != len || (len && memcmp(bd, text, len) != 0))
        abort(); /* the lossless promise */
    g_bytes_unref(b);

    GPtrArray *entries = msm_confdoc_entries(doc);
    if (entries->len > 0) {
        const MsmConfNode *e = entries->pdata[0];
        char *section = g_strdup(e->section), *key = g_strdup(e->key);
        msm_confdoc_set(doc, section, key, "changed value", NULL);
        g_free(section);
        g_free(key);
    }
    msm_confdoc_set(doc, "", "fuzzadded", "1", NULL);
    if (entries->len > 1) {
        const MsmConfNode *e = entries->pdata[entries->len - 1];
        char *section = g_strdup(e->section), *key = g_strdup(e->key);
        msm_confdoc_remove(doc, section, key);
        g_free(section);
        g_free(key);
    }
    g_ptr_array_unref(entries);
    GBytes *out = msm_confdoc_serialize(doc);
    gsize olen;
    const char *od = g_bytes_get_data(out, &olen);
    MsmConfDoc *again = msm_confdoc_parse(f, "fuzz-again", od, olen, &err);
    g_clear_error(&err);
    msm_confdoc_free(again);
    g_bytes_unref(out);
    msm_confdoc_free(doc);
    return 0;
}
