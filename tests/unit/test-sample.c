/*
 * NAME
 *	test-sample.c - unit tests of core/sample.c (`msmigrate sample`)
 * DESCRIPTION
 *	The model: determinism (same seed, same bytes; another seed, other
 *	bytes), domains/users/groups, folders and their messages (MIME-ish,
 *	the special cases present, sizes exact), queue names, configuration
 *	files per version and directory entries per schema. Then
 *	msm_sample_write() with the registry's built-in codecs: what is
 *	written, what is reported missing, byte-identical trees for the same
 *	seed, the refusal of a non-empty directory, and detection of the
 *	result.
 */
#include "config.h"

#include "util.h"

#include "detect.h"
#include "ldif.h"
#include "mutf7.h"
#include "registry.h"
#include "sample-model.h"
#include "sample.h"

#include "testutil.h"

#include <string.h>

/* ---- helpers ---- */

/* Model of version or fail the test. (transfer full) */
static MsmSampleModel *
model(const char *version, guint users, guint64 seed)
{
    GError *err = NULL;
    MsmSampleModel *m = msm_sample_model_new(version, users, seed, NULL, &err);
    if (m == NULL)
        fprintf(stderr, "model %s: %s\n", version, err->message);
    g_assert(m != NULL);
    return m;
}

/* The LDIF text of a list of entries. (transfer full) */
static char *
ldif_of(GPtrArray *entries)
{
    GString *s = g_string_new(NULL);
    MsmLdifWriter *w = msm_ldif_writer_new_string(s);
    for (guint i = 0; i < entries->len; i++)
        g_assert(msm_ldif_writer_put(w, entries->pdata[i], NULL));
    g_assert(msm_ldif_writer_close(w, NULL));
    return g_string_free(s, FALSE);
}

/* Feeds every message of every folder of the first n users into sum, and
 * checks each message while doing it. Returns the number of messages. */
static guint
digest_store(const MsmSampleModel *m, guint n, GChecksum *sum)
{
    guint count = 0;
    for (guint u = 0; u < n && u < m->users->len; u++) {
        GPtrArray *folders = msm_sample_model_folders(m, u);
        for (guint i = 0; i < folders->len; i++) {
            MsmFolder *f = folders->pdata[i];
            g_checksum_update(sum, (const guchar *)f->name, -1);
            MsmMessage *msg;
            GError *err = NULL;
            while (msm_message_iter_next(f->messages, &msg, &err) && msg != NULL) {
                GBytes *b = msm_body_slurp(msg->body, &err);
                CU_ASSERT_PTR_NOT_NULL_FATAL(b);
                CU_ASSERT_EQUAL(g_bytes_get_size(b), (gsize)msg->size);
                gsize len;
                const guchar *d = g_bytes_get_data(b, &len);
                g_checksum_update(sum, d, (gssize)len);
                char meta[64];
                g_snprintf(meta, sizeof meta, "%u/%u/%" G_GINT64_FORMAT, msg->uid, msg->flags,
                           msg->internal_date);
                g_checksum_update(sum, (const guchar *)meta, -1);
                g_bytes_unref(b);
                msm_message_free(msg);
                count++;
            }
            CU_ASSERT_PTR_NULL(err);
        }
        g_ptr_array_unref(folders);
    }
    return count;
}

/* Hex digest of the model's messages, LDIF, configuration and queue. (transfer full) */
static char *
model_digest(const MsmSampleModel *m, guint users)
{
    GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
    digest_store(m, users, sum);
    GPtrArray *dir = msm_sample_model_directory(m);
    char *l = ldif_of(dir);
    g_checksum_update(sum, (const guchar *)l, -1);
    g_free(l);
    g_ptr_array_unref(dir);
    GPtrArray *cfg = msm_sample_model_config(m);
    for (guint i = 0; i < cfg->len; i++) {
        MsmConfigFile *f = cfg->pdata[i];
        gsize len;
        const guchar *d = g_bytes_get_data(f->content, &len);
        g_checksum_update(sum, (const guchar *)f->relpath, -1);
        g_checksum_update(sum, d, (gssize)len);
    }
    g_ptr_array_unref(cfg);
    GPtrArray *q = msm_sample_model_queue(m);
    for (guint i = 0; i < q->len; i++) {
        MsmQueuedMessage *qm = q->pdata[i];
        GBytes *b = msm_body_slurp(qm->body, NULL);
        g_checksum_update(sum, (const guchar *)qm->name, -1);
        g_checksum_update(sum, g_bytes_get_data(b, NULL), (gssize)g_bytes_get_size(b));
        g_bytes_unref(b);
    }
    g_ptr_array_unref(q);
    char *hex = g_strdup(g_checksum_get_string(sum));
    g_checksum_free(sum);
    return hex;
}

/* ---- the model ---- */

static void
test_determinism(void)
{
    MsmSampleModel *a = model("ms-6.3", 12, 1234);
    MsmSampleModel *b = model("ms-6.3", 12, 1234);
    MsmSampleModel *c = model("ms-6.3", 12, 1235);
    char *da = model_digest(a, 4), *db = model_digest(b, 4), *dc = model_digest(c, 4);
    CU_ASSERT_STRING_EQUAL(da, db);
    CU_ASSERT_STRING_NOT_EQUAL(da, dc);

    /* Folders regenerate alone, in any order, identically. */
    GChecksum *s1 = g_checksum_new(G_CHECKSUM_SHA256);
    GChecksum *s2 = g_checksum_new(G_CHECKSUM_SHA256);
    MsmSampleModel *d = model("ms-6.3", 12, 1234);
    GChecksum *skip = g_checksum_new(G_CHECKSUM_SHA256);
    digest_store(d, 3, skip); /* generate other users first */
    g_checksum_free(skip);
    msm_sample_model_free(d);
    digest_store(a, 1, s1);
    digest_store(b, 1, s2);
    CU_ASSERT_STRING_EQUAL(g_checksum_get_string(s1), g_checksum_get_string(s2));
    g_checksum_free(s1);
    g_checksum_free(s2);

    /* The LDIF differs with the seed too. */
    GPtrArray *ea = msm_sample_model_directory(a), *ec = msm_sample_model_directory(c);
    char *la = ldif_of(ea), *lc = ldif_of(ec);
    CU_ASSERT_STRING_NOT_EQUAL(la, lc);
    g_free(la);
    g_free(lc);
    g_ptr_array_unref(ea);
    g_ptr_array_unref(ec);
    g_free(da);
    g_free(db);
    g_free(dc);
    msm_sample_model_free(a);
    msm_sample_model_free(b);
    msm_sample_model_free(c);
}

static void
test_model_people(void)
{
    MsmSampleModel *m = model("ims-5.2", 1, 1);
    CU_ASSERT_EQUAL(m->domains->len, 1);
    CU_ASSERT_EQUAL(m->users->len, 1);
    msm_sample_model_free(m);
    m = model("ims-5.2", 5, 1);
    CU_ASSERT_EQUAL(m->domains->len, 2);
    CU_ASSERT_EQUAL(((MsmSampleUser *)m->users->pdata[4])->domain, 1u); /* a hosted user */
    msm_sample_model_free(m);
    m = model("ims-5.2", 40, 1);
    CU_ASSERT_EQUAL(m->domains->len, 5);
    CU_ASSERT_EQUAL(m->groups->len, 40 / 5 + 1);
    MsmSampleGroup *pm = m->groups->pdata[m->groups->len - 1];
    CU_ASSERT_STRING_EQUAL(pm->cn, "postmaster");
    gboolean upper = FALSE, hosted = FALSE, non_ascii = FALSE;
    GHashTable *uids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < m->users->len; i++) {
        MsmSampleUser *u = m->users->pdata[i];
        for (const char *p = u->uid; *p; p++)
            upper |= g_ascii_isupper(*p);
        hosted |= strchr(u->store_user, '@') != NULL;
        for (const char *p = u->cn; *p; p++)
            non_ascii |= (guchar)*p >= 0x80;
        CU_ASSERT_TRUE(g_utf8_validate(u->cn, -1, NULL));
        CU_ASSERT_PTR_NOT_NULL(strchr(u->mail, '@'));
        char *key = g_ascii_strdown(u->store_user, -1);
        CU_ASSERT_FALSE(g_hash_table_contains(uids, key)); /* store names are unique */
        g_hash_table_add(uids, key);
    }
    g_hash_table_unref(uids);
    CU_ASSERT_TRUE(upper);
    CU_ASSERT_TRUE(hosted);
    CU_ASSERT_TRUE(non_ascii);
    msm_sample_model_free(m);

    /* SIMS keeps lowercase store names for uppercase uids (seed 003). */
    m = model("sims-4.0", 8, 1);
    MsmSampleUser *u = m->users->pdata[1];
    CU_ASSERT_TRUE(g_ascii_isupper(u->uid[0]));
    char *low = g_ascii_strdown(u->uid, -1);
    CU_ASSERT_STRING_EQUAL(u->store_user, low);
    g_free(low);
    msm_sample_model_free(m);

    /* NMS hosted users have uid LocalPart@FQDN. */
    m = model("nms-4.1", 10, 1);
    u = m->users->pdata[4];
    CU_ASSERT_PTR_NOT_NULL(strchr(u->uid, '@'));
    CU_ASSERT_STRING_EQUAL(u->uid, u->store_user);
    msm_sample_model_free(m);

    GError *err = NULL;
    CU_ASSERT_PTR_NULL(msm_sample_model_new("ms-9.9", 3, 1, NULL, &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_NOT_FOUND));
    g_clear_error(&err);
    CU_ASSERT_PTR_NULL(msm_sample_model_new("ms-6.3", 0, 1, NULL, &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT));
    g_clear_error(&err);
}

/* The length of the header section (up to and including the blank line), or 0. */
static gsize
header_length(const guint8 *d, gsize len)
{
    for (gsize i = 0; i + 1 < len; i++) {
        if (d[i] == '\n' && d[i + 1] == '\n')
            return i + 2;
        if (d[i] == '\n' && d[i + 1] == '\r' && i + 2 < len && d[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

/* TRUE if every header line is "Name: ..." or a continuation. */
static gboolean
headers_well_formed(const guint8 *d, gsize hlen)
{
    gsize i = 0;
    gboolean first = TRUE;
    while (i < hlen) {
        gsize end = i;
        while (end < hlen && d[end] != '\n')
            end++;
        gsize l = end - i;
        if (l > 0 && d[end - 1] == '\r')
            l--;
        if (l == 0)
            return !first; /* the blank line ending the header */
        if (d[i] == ' ' || d[i] == '\t') {
            if (first)
                return FALSE;
        } else {
            gsize k = i;
            while (k < i + l && d[k] != ':' && d[k] > 32 && d[k] < 127)
                k++;
            if (k == i || k >= i + l || d[k] != ':')
                return FALSE;
        }
        first = FALSE;
        i = end + 1;
    }
    return FALSE;
}

/* TRUE if some byte in d[0..len) is >= 0x80. */
static gboolean
has_8bit(const guint8 *d, gsize len)
{
    for (gsize i = 0; i < len; i++)
        if (d[i] >= 0x80)
            return TRUE;
    return FALSE;
}

static void
test_messages(void)
{
    MsmSampleModel *m = model("ms-7.0", 3, 99);
    gint64 smallest = G_MAXINT64, largest = 0;
    gboolean seen_kind[MSM_SAMPLE_MSG_KINDS] = {FALSE};
    for (guint u = 0; u < m->users->len; u++) {
        GPtrArray *folders = msm_sample_model_folders(m, u);
        for (guint i = 0; i < folders->len; i++) {
            MsmFolder *f = folders->pdata[i];
            MsmMessage *msg;
            guint k = 0;
            guint32 last_uid = 0;
            gint64 last_date = 0;
            while (msm_message_iter_next(f->messages, &msg, NULL) && msg != NULL) {
                CU_ASSERT_TRUE(msg->uid > last_uid);
                CU_ASSERT_TRUE(msg->internal_date > last_date);
                last_uid = msg->uid;
                last_date = msg->internal_date;
                GBytes *b = msm_body_slurp(msg->body, NULL);
                CU_ASSERT_PTR_NOT_NULL_FATAL(b);
                gsize len;
                const guint8 *d = g_bytes_get_data(b, &len);
                smallest = MIN(smallest, (gint64)len);
                largest = MAX(largest, (gint64)len);
                gsize hlen = header_length(d, len);
                CU_ASSERT_TRUE(hlen > 0);
                CU_ASSERT_TRUE(headers_well_formed(d, hlen));
                MsmSampleMessageKind kind = msm_sample_model_message_kind(m, u, f->name, k);
                seen_kind[kind] = TRUE;
                gboolean has_cr = memchr(d, '\r', len) != NULL;
                gboolean has_nul = memchr(d, '\0', len) != NULL;
                switch (kind) {
                case MSM_SAMPLE_MSG_BARE_LF:
                    CU_ASSERT_FALSE(has_cr);
                    CU_ASSERT_NOT_EQUAL(d[len - 1], '\n');
                    break;
                case MSM_SAMPLE_MSG_NUL:
                    CU_ASSERT_TRUE(has_nul);
                    break;
                case MSM_SAMPLE_MSG_LATIN1:
                case MSM_SAMPLE_MSG_UTF8:
                    CU_ASSERT_TRUE(has_8bit(d, hlen)); /* 8-bit headers */
                    CU_ASSERT_TRUE(has_8bit(d + hlen, len - hlen));
                    break;
                case MSM_SAMPLE_MSG_MIXED:
                    CU_ASSERT_PTR_NOT_NULL(g_strstr_len((const char *)d, (gssize)len,
                                                        "Content-Transfer-Encoding: base64"));
                    break;
                case MSM_SAMPLE_MSG_PLAIN:
                case MSM_SAMPLE_MSG_ALTERNATIVE:
                case MSM_SAMPLE_MSG_KINDS:
                default:
                    CU_ASSERT_FALSE(has_8bit(d, hlen));
                    break;
                }
                if (kind != MSM_SAMPLE_MSG_BARE_LF) {
                    CU_ASSERT_TRUE(len >= 2 && d[len - 2] == '\r' && d[len - 1] == '\n');
                }
                if (kind != MSM_SAMPLE_MSG_NUL) {
                    CU_ASSERT_FALSE(has_nul);
                }
                if (strcmp(f->name, "INBOX") == 0 && k < MSM_SAMPLE_MSG_KINDS) {
                    CU_ASSERT_EQUAL(kind, (MsmSampleMessageKind)k);
                }
                g_bytes_unref(b);
                msm_message_free(msg);
                k++;
            }
            CU_ASSERT_EQUAL(k, f->message_count);
            CU_ASSERT_TRUE(f->uidnext > last_uid);
        }
        g_ptr_array_unref(folders);
    }
    for (int k = 0; k < MSM_SAMPLE_MSG_KINDS; k++)
        CU_ASSERT_TRUE(seen_kind[k]);
    CU_ASSERT_TRUE(smallest >= 500);
    CU_ASSERT_TRUE(largest > 200 * 1024);
    msm_sample_model_free(m);
}

/* The folder called name in folders, or NULL. */
static MsmFolder *
find_folder(GPtrArray *folders, const char *name)
{
    for (guint i = 0; i < folders->len; i++)
        if (strcmp(((MsmFolder *)folders->pdata[i])->name, name) == 0)
            return folders->pdata[i];
    return NULL;
}

static void
test_folders(void)
{
    MsmSampleModel *m = model("ms-6.3", 6, 5);
    GPtrArray *folders = msm_sample_model_folders(m, 0);
    const char *want[] = {"INBOX",  "Sent",  "Drafts",     "Trash", "Répertoire",
                          "日本語", "Ärger", "Ärger/2009", "a.b",   "R&D"};
    for (gsize i = 0; i < G_N_ELEMENTS(want); i++)
        CU_ASSERT_PTR_NOT_NULL(find_folder(folders, want[i]));
    CU_ASSERT_STRING_EQUAL(((MsmFolder *)folders->pdata[0])->name, "INBOX");
    gint64 used = 0;
    for (guint i = 0; i < folders->len; i++) {
        MsmFolder *f = folders->pdata[i];
        /* a parent comes before its children */
        const char *slash = strrchr(f->name, '/');
        if (slash != NULL) {
            char *parent = g_strndup(f->name, (gsize)(slash - f->name));
            gboolean before = FALSE;
            for (guint k = 0; k < i; k++)
                before |= strcmp(((MsmFolder *)folders->pdata[k])->name, parent) == 0;
            CU_ASSERT_TRUE(before);
            g_free(parent);
        }
        /* every name survives modified UTF-7 */
        char *enc = msm_mutf7_encode(f->name, NULL);
        char *dec = enc ? msm_mutf7_decode(enc, NULL) : NULL;
        CU_ASSERT_STRING_EQUAL(dec ? dec : "", f->name);
        g_free(enc);
        g_free(dec);
        CU_ASSERT_TRUE(f->uidvalidity != 0);
        CU_ASSERT_STRING_EQUAL(((MsmAce *)f->acl->pdata[0])->identifier, f->owner->user);
        MsmMessage *msg;
        while (msm_message_iter_next(f->messages, &msg, NULL) && msg != NULL) {
            used += msg->size;
            if (strcmp(f->name, "Drafts") == 0) {
                CU_ASSERT_TRUE(msg->flags & MSM_FLAG_DRAFT);
            }
            msm_message_free(msg);
        }
    }
    MsmFolder *inbox = folders->pdata[0];
    CU_ASSERT_EQUAL(inbox->owner->used_bytes, used);
    CU_ASSERT_TRUE(inbox->owner->subscriptions->len >= 5);
    CU_ASSERT_STRING_EQUAL(inbox->owner->subscriptions->pdata[0], "INBOX");
    MsmFolder *rep = find_folder(folders, "Répertoire");
    CU_ASSERT_EQUAL_FATAL(rep->acl->len, 2);
    CU_ASSERT_STRING_EQUAL(((MsmAce *)rep->acl->pdata[1])->identifier, "anyone");
    CU_ASSERT_STRING_EQUAL(((MsmAce *)rep->acl->pdata[1])->rights, "lr");
    MsmFolder *rd = find_folder(folders, "R&D");
    CU_ASSERT_EQUAL_FATAL(rd->acl->len, 2);
    CU_ASSERT_STRING_EQUAL(((MsmAce *)rd->acl->pdata[1])->identifier,
                           ((MsmSampleUser *)m->users->pdata[1])->store_user);
    CU_ASSERT_STRING_EQUAL(((MsmAce *)rd->acl->pdata[1])->rights, "lrswi");
    g_ptr_array_unref(folders);

    /* other users: INBOX, Sent, Drafts, Trash and 1-4 more */
    for (guint u = 1; u < m->users->len; u++) {
        folders = msm_sample_model_folders(m, u);
        CU_ASSERT_TRUE(folders->len >= 5);
        CU_ASSERT_TRUE(folders->len <= 4 + 8);
        g_ptr_array_unref(folders);
    }
    msm_sample_model_free(m);
}

static void
test_queue(void)
{
    MsmSampleModel *m = model("ims-5.2", 7, 3);
    GPtrArray *q = msm_sample_model_queue(m);
    guint per[5] = {0}; /* tcp_local, ims-ms, tcp_intranet, hold, held */
    const char *hold_rcpt = NULL;
    GRegex *re = g_regex_new("^[0-9A-Z]{2}[0-9A-Za-z]{11}\\.(00|HELD)$", 0, 0, NULL);
    for (guint i = 0; i < q->len; i++) {
        MsmQueuedMessage *qm = q->pdata[i];
        CU_ASSERT_TRUE(g_regex_match(re, qm->name, 0, NULL));
        /* the first two characters count the attempts in complemented base 36 */
        const char *digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        guint v = (guint)(strchr(digits, qm->name[0]) - digits) * 36 +
                  (guint)(strchr(digits, qm->name[1]) - digits);
        CU_ASSERT_EQUAL(36 * 36 - 1 - v, qm->attempts);
        CU_ASSERT_TRUE(qm->attempts <= 5);
        CU_ASSERT_TRUE(qm->recipients->len >= 1);
        CU_ASSERT_TRUE(qm->created > 0);
        CU_ASSERT_TRUE(qm->attempts == 0 ? qm->last_attempt == 0 : qm->last_attempt > qm->created);
        CU_ASSERT_EQUAL(qm->held, g_str_has_suffix(qm->name, ".HELD"));
        GBytes *b = msm_body_slurp(qm->body, NULL);
        CU_ASSERT_PTR_NOT_NULL(b);
        if (b)
            g_bytes_unref(b);
        if (qm->held)
            per[4]++;
        else if (strcmp(qm->channel, "tcp_local") == 0)
            per[0]++;
        else if (strcmp(qm->channel, "ims-ms") == 0)
            per[1]++;
        else if (strcmp(qm->channel, "tcp_intranet") == 0)
            per[2]++;
        else if (strcmp(qm->channel, "hold") == 0) {
            per[3]++;
            const char *r = ((MsmRecipient *)qm->recipients->pdata[0])->address;
            if (hold_rcpt != NULL) {
                CU_ASSERT_STRING_EQUAL(r, hold_rcpt); /* both for one user */
            }
            hold_rcpt = r;
        } else
            CU_FAIL("unexpected channel");
    }
    g_regex_unref(re);
    CU_ASSERT_TRUE(per[0] >= 2 && per[1] >= 2 && per[2] >= 2);
    CU_ASSERT_EQUAL(per[3], 2);
    CU_ASSERT_EQUAL(per[4], 1);
    g_ptr_array_unref(q);
    msm_sample_model_free(m);

    m = model("sims-4.0", 3, 3);
    q = msm_sample_model_queue(m);
    gboolean sims_ms = FALSE;
    for (guint i = 0; i < q->len; i++)
        sims_ms |= strcmp(((MsmQueuedMessage *)q->pdata[i])->channel, "sims-ms") == 0;
    CU_ASSERT_TRUE(sims_ms);
    g_ptr_array_unref(q);
    msm_sample_model_free(m);
}

/* The content of configuration file relpath as a string, or NULL. (transfer full) */
static char *
config_text(GPtrArray *files, const char *relpath)
{
    for (guint i = 0; i < files->len; i++) {
        MsmConfigFile *f = files->pdata[i];
        if (strcmp(f->relpath, relpath) == 0) {
            gsize len;
            const char *d = g_bytes_get_data(f->content, &len);
            return g_strndup(d, len);
        }
    }
    return NULL;
}

static void
test_config(void)
{
    MsmSampleModel *m = model("ms-6.3", 6, 1);
    GPtrArray *cfg = msm_sample_model_config(m);
    const char *names[] = {"msg.conf",        "msg.conf.defaults",  "imta.cnf",
                           "option.dat",      "job_controller.cnf", "dispatcher.cnf",
                           "imta_tailor",     "mappings",           "aliases",
                           "conversions",     "internet.rules",     "backup-groups.conf",
                           "tcp_local_option"};
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        char *t = config_text(cfg, names[i]);
        CU_ASSERT_PTR_NOT_NULL(t);
        if (t == NULL)
            fprintf(stderr, "missing %s\n", names[i]);
        g_free(t);
    }
    char *imta = config_text(cfg, "imta.cnf");
    /* rewrite rules, then a blank line, then channel blocks */
    const char *blank = strstr(imta, "\n\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(blank);
    const char *include = strstr(imta, "\n<IMTA_TABLE:internet.rules\n");
    CU_ASSERT_TRUE(include != NULL && include < blank);
    CU_ASSERT_PTR_NOT_NULL(strstr(blank, "\nims-ms "));
    CU_ASSERT_PTR_NOT_NULL(strstr(blank, "\nims-ms-daemon\n"));
    for (guint i = 0; i < m->domains->len; i++) {
        const char *d = ((MsmSampleDomain *)m->domains->pdata[i])->name;
        const char *rule = strstr(imta, d);
        CU_ASSERT_TRUE(rule != NULL && rule < blank);
    }
    g_free(imta);
    char *disp = config_text(cfg, "dispatcher.cnf");
    CU_ASSERT_PTR_NOT_NULL(strstr(disp, "\n[SERVICE=SMTP]\nPORT=25\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(disp, "=16%64\n"));
    g_free(disp);
    char *jc = config_text(cfg, "job_controller.cnf");
    CU_ASSERT_PTR_NOT_NULL(strstr(jc, "\n[POOL=DEFAULT]\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(jc, "\n[CHANNEL=ims-ms]\n"));
    g_free(jc);
    char *mc = config_text(cfg, "msg.conf");
    CU_ASSERT_PTR_NOT_NULL(strstr(mc, "\nservice.defaultdomain = \"siroe.com\"\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(mc, "\nlocal.hostname = \"mail.siroe.com\"\n"));
    g_free(mc);
    char *map = config_text(cfg, "mappings");
    CU_ASSERT_PTR_NOT_NULL(strstr(map, "\n\nPORT_ACCESS\n\n  "));
    g_free(map);
    g_ptr_array_unref(cfg);
    msm_sample_model_free(m);

    m = model("ms-6.2", 6, 1);
    cfg = msm_sample_model_config(m);
    char *def = config_text(cfg, "msg.conf.defaults");
    CU_ASSERT_PTR_NULL(def); /* only from 6.3 on */
    g_free(def);
    mc = config_text(cfg, "msg.conf");
    CU_ASSERT_PTR_NOT_NULL(strstr(mc, "\nservice.imap.port = \"143\"\n"));
    g_free(mc);
    g_ptr_array_unref(cfg);
    msm_sample_model_free(m);

    m = model("sims-4.0", 6, 1);
    cfg = msm_sample_model_config(m);
    char *ims = config_text(cfg, "ims/ims.cnf");
    CU_ASSERT_PTR_NOT_NULL(ims ? strstr(ims, "\nims-user-root /var/opt/SUNWmail/ims/user\n")
                               : NULL);
    g_free(ims);
    jc = config_text(cfg, "job_controller.cnf");
    CU_ASSERT_PTR_NOT_NULL(strstr(jc, "\n[QUEUE=DEFAULT]\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(jc, "\n[CHANNEL=sims-ms]\n"));
    CU_ASSERT_PTR_NULL(strstr(jc, "[POOL="));
    g_free(jc);
    mc = config_text(cfg, "msg.conf");
    CU_ASSERT_PTR_NULL(mc);
    g_ptr_array_unref(cfg);
    msm_sample_model_free(m);

    m = model("nms-4.0", 6, 1);
    cfg = msm_sample_model_config(m);
    imta = config_text(cfg, "imta.cnf");
    CU_ASSERT_PTR_NULL(imta); /* NMS keeps its configuration in LDAP */
    CU_ASSERT_TRUE(cfg->len > 0);
    g_ptr_array_unref(cfg);
    msm_sample_model_free(m);
}

/* TRUE if entries contain one with objectClass oc. */
static gboolean
any_class(GPtrArray *entries, const char *oc)
{
    for (guint i = 0; i < entries->len; i++)
        if (msm_entry_has_class(entries->pdata[i], oc))
            return TRUE;
    return FALSE;
}

/* TRUE if every entry's parent precedes it (suffixes excepted). */
static gboolean
parents_first(GPtrArray *entries)
{
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    gboolean ok = TRUE;
    for (guint i = 0; i < entries->len; i++) {
        char *dn = g_ascii_strdown(msm_entry_dn(entries->pdata[i]), -1);
        const char *comma = strchr(dn, ',');
        if (comma != NULL && !g_hash_table_contains(seen, comma + 1)) {
            fprintf(stderr, "parent of %s comes later\n", dn);
            ok = FALSE;
        }
        g_hash_table_add(seen, dn);
    }
    g_hash_table_unref(seen);
    return ok;
}

/* The entry with DN dn, or NULL. */
static MsmEntry *
find_entry(GPtrArray *entries, const char *dn)
{
    for (guint i = 0; i < entries->len; i++)
        if (g_ascii_strcasecmp(msm_entry_dn(entries->pdata[i]), dn) == 0)
            return entries->pdata[i];
    return NULL;
}

static void
test_directory(void)
{
    struct {
        const char *version;
        const char *user_class, *group_class, *absent_class;
        const char *domain_dn;
    } cases[] = {
        {"sims-4.0", "emailPerson", "emailGroup", "inetMailUser", "dc=siroe,dc=com,o=internet"},
        {"nms-3.x", "mailRecipient", "mailGroup", "inetMailUser", "o=siroe.com"},
        {"nms-4.1", "nsMessagingServerUser", "mailGroup", "emailPerson", "o=siroe.com"},
        {"ims-5.2", "inetMailUser", "inetMailGroup", "sunManagedOrganization",
         "dc=siroe,dc=com,o=internet"},
        {"ms-6.2", "inetLocalMailRecipient", "inetMailGroup", "sunManagedOrganization",
         "dc=siroe,dc=com,o=internet"},
        {"ms-8.1", "inetMailUser", "inetMailGroup", "emailPerson", "o=siroe.com,o=isp"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        MsmSampleModel *m = model(cases[i].version, 12, 8);
        GPtrArray *e = msm_sample_model_directory(m);
        CU_ASSERT_TRUE(parents_first(e));
        CU_ASSERT_TRUE(any_class(e, cases[i].user_class));
        CU_ASSERT_TRUE(any_class(e, cases[i].group_class));
        CU_ASSERT_FALSE(any_class(e, cases[i].absent_class));
        CU_ASSERT_PTR_NOT_NULL(find_entry(e, cases[i].domain_dn));
        /* the postmaster entry seed 003 warns about */
        gboolean pm = FALSE;
        for (guint k = 0; k < e->len; k++)
            pm = pm || g_str_has_prefix(msm_entry_dn(e->pdata[k]), "cn=postmaster,");
        CU_ASSERT_TRUE(pm);
        g_ptr_array_unref(e);
        msm_sample_model_free(m);
    }
    MsmSampleModel *m = model("ms-7.0", 12, 8);
    GPtrArray *e = msm_sample_model_directory(m);
    MsmEntry *org = find_entry(e, "o=siroe.com,o=isp");
    CU_ASSERT_PTR_NOT_NULL_FATAL(org);
    CU_ASSERT_TRUE(msm_entry_has_class(org, "sunManagedOrganization"));
    CU_ASSERT_TRUE(msm_entry_has_class(org, "inetDomain"));
    CU_ASSERT_TRUE(msm_entry_has_class(org, "mailDomain"));
    CU_ASSERT_STRING_EQUAL(msm_entry_get_string(org, "sunPreferredDomain"), "siroe.com");
    CU_ASSERT_PTR_NULL(find_entry(e, "o=internet")); /* no DC tree in Schema 2 */
    g_ptr_array_unref(e);
    e = msm_sample_model_netscaperoot(m);
    CU_ASSERT_EQUAL(e->len, 0);
    g_ptr_array_unref(e);
    msm_sample_model_free(m);

    m = model("ims-5.2", 12, 8);
    e = msm_sample_model_directory(m);
    MsmEntry *dc = find_entry(e, "dc=siroe,dc=com,o=internet");
    CU_ASSERT_PTR_NOT_NULL_FATAL(dc);
    CU_ASSERT_TRUE(msm_entry_has_class(dc, "inetDomain"));
    CU_ASSERT_STRING_EQUAL(msm_entry_get_string(dc, "inetDomainBaseDN"), "o=siroe.com,o=isp");
    g_ptr_array_unref(e);
    msm_sample_model_free(m);

    m = model("nms-4.0", 12, 8);
    e = msm_sample_model_netscaperoot(m);
    CU_ASSERT_TRUE(parents_first(e));
    CU_ASSERT_TRUE(any_class(e, "nsmsgCfgStore"));
    CU_ASSERT_TRUE(any_class(e, "nsmsgCfgPartition"));
    CU_ASSERT_TRUE(any_class(e, "netscapeMessagingServer"));
    CU_ASSERT_PTR_NOT_NULL(find_entry(e, "o=NetscapeRoot"));
    g_ptr_array_unref(e);
    msm_sample_model_free(m);
}

/* ---- msm_sample_write ---- */

/* Appends "relpath\0content-digest\n" for every file below root (sorted). */
static void
tree_listing(const char *root, const char *rel, GPtrArray *out)
{
    char *dir = rel[0] ? g_build_filename(root, rel, NULL) : g_strdup(root);
    GDir *d = g_dir_open(dir, 0, NULL);
    g_assert(d != NULL);
    const char *name;
    while ((name = g_dir_read_name(d)) != NULL) {
        char *r = rel[0] ? g_build_filename(rel, name, NULL) : g_strdup(name);
        char *p = g_build_filename(root, r, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR)) {
            g_ptr_array_add(out, g_strconcat(r, "/", NULL));
            tree_listing(root, r, out);
        } else {
            char *content = NULL;
            gsize len = 0;
            g_assert(g_file_get_contents(p, &content, &len, NULL));
            char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (guchar *)content, len);
            g_ptr_array_add(out, g_strdup_printf("%s %s", r, sum));
            g_free(sum);
            g_free(content);
        }
        g_free(p);
        g_free(r);
    }
    g_dir_close(d);
    g_free(dir);
}

/* The sorted listing of a tree as one string. (transfer full) */
static char *
tree_text(const char *root)
{
    GPtrArray *l = g_ptr_array_new_with_free_func(g_free);
    tree_listing(root, "", l);
    g_ptr_array_sort(l, msm_strcmp_ptr);
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < l->len; i++) {
        g_string_append(s, l->pdata[i]);
        g_string_append_c(s, '\n');
    }
    g_ptr_array_unref(l);
    return g_string_free(s, FALSE);
}

/* Writes a sample into a new directory below a temporary one. (transfer full: path) */
static char *
write_sample(MsmRegistry *reg, const char *version, guint users, guint64 seed, guint instances,
             MsmSampleResult *res)
{
    char *dir = g_build_filename(msm_test_tmpdir(), "sample", NULL);
    MsmSampleSpec spec = {version, users, seed, NULL, instances};
    GError *err = NULL;
    gboolean ok = msm_sample_write(reg, &spec, dir, res, &err);
    if (!ok)
        fprintf(stderr, "sample %s: %s\n", version, err->message);
    CU_ASSERT_TRUE(ok);
    g_clear_error(&err);
    return dir;
}

static void
test_write(void)
{
    MsmRegistry *reg = msm_registry_new();
    MsmSampleResult r1, r2;
    char *d1 = write_sample(reg, "ms-6.3", 6, 77, 1, &r1);
    char *d2 = write_sample(reg, "ms-6.3", 6, 77, 1, &r2);
    char *t1 = tree_text(d1), *t2 = tree_text(d2);
    CU_ASSERT_STRING_EQUAL(t1, t2); /* byte-identical trees */
    CU_ASSERT_PTR_NOT_NULL(strstr(t1, "config/imta.cnf "));
    CU_ASSERT_PTR_NOT_NULL(strstr(t1, "data/queue/ims-ms/\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t1, "ldap/README "));

    /* configuration always goes through the config-files codec, the queue
     * through core's pmdf-queue codec */
    CU_ASSERT_TRUE(r1.written[MSM_KIND_CONFIG]);
    CU_ASSERT_TRUE(r1.written[MSM_KIND_QUEUE]);
    CU_ASSERT_PTR_NULL(r1.missing[MSM_KIND_QUEUE]);
    MsmSampleModel *m = model("ms-6.3", 6, 77);
    GPtrArray *cfg = msm_sample_model_config(m);
    CU_ASSERT_EQUAL(r1.items[MSM_KIND_CONFIG], cfg->len);
    g_ptr_array_unref(cfg);
    /* kinds without a codec are reported, not silently dropped */
    for (int k = MSM_KIND_STORE; k <= MSM_KIND_QUEUE; k++) {
        if (msm_registry_find_codec(reg, (MsmKind)k, "ms-6.3") == NULL) {
            CU_ASSERT_FALSE(r1.written[k]);
            CU_ASSERT_PTR_NOT_NULL(r1.missing[k]);
            CU_ASSERT_PTR_NOT_NULL(r1.missing[k] ? strstr(r1.missing[k], "ms-6.3") : NULL);
        } else {
            CU_ASSERT_TRUE(r1.written[k]);
            CU_ASSERT_TRUE(r1.items[k] > 0);
        }
    }
    /* the directory is always written, and its LDIF reads back */
    CU_ASSERT_TRUE(r1.written[MSM_KIND_DIRECTORY]);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r1.ldif_path);
    GPtrArray *dir = msm_sample_model_directory(m);
    CU_ASSERT_EQUAL(r1.items[MSM_KIND_DIRECTORY], dir->len);
    MsmLdifReader *rd = msm_ldif_reader_open(r1.ldif_path, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rd);
    guint n = 0;
    MsmEntry *e;
    while (msm_ldif_reader_next(rd, &e, NULL) && e != NULL) {
        CU_ASSERT_STRING_EQUAL(msm_entry_dn(e), msm_entry_dn(dir->pdata[n]));
        msm_entry_free(e);
        n++;
    }
    CU_ASSERT_EQUAL(n, dir->len);
    msm_ldif_reader_free(rd);
    g_ptr_array_unref(dir);
    msm_sample_model_free(m);

    /* detection recognises what was written */
    MsmDetection *det = msm_detect(d1, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(det);
    CU_ASSERT_PTR_NOT_NULL(det->family);
    gboolean cand = FALSE;
    for (guint i = 0; det->candidates && i < det->candidates->len; i++)
        cand |= strcmp(det->candidates->pdata[i], "ms-6.3") == 0;
    CU_ASSERT_TRUE(cand);
    msm_detection_free(det);

    /* a directory that is not empty is refused */
    MsmSampleResult r3;
    MsmSampleSpec spec = {"ms-6.3", 2, 1, NULL, 1};
    GError *err = NULL;
    CU_ASSERT_FALSE(msm_sample_write(reg, &spec, d1, &r3, &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT));
    CU_ASSERT_PTR_NOT_NULL(err ? strstr(err->message, d1) : NULL);
    g_clear_error(&err);
    msm_sample_result_clear(&r3);
    spec.version = "ms-9";
    char *d3 = g_build_filename(msm_test_tmpdir(), "x", NULL);
    CU_ASSERT_FALSE(msm_sample_write(reg, &spec, d3, &r3, &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_NOT_FOUND));
    g_clear_error(&err);
    msm_sample_result_clear(&r3);

    g_free(t1);
    g_free(t2);
    g_free(d1);
    g_free(d2);
    g_free(d3);
    msm_sample_result_clear(&r1);
    msm_sample_result_clear(&r2);
    msm_registry_free(reg);
}

static void
test_write_versions(void)
{
    MsmRegistry *reg = msm_registry_new();
    struct {
        const char *version;
        const char *must; /* a path the tree must list */
        const char *family;
    } cases[] = {
        {"sims-4.0", "etc/opt/SUNWmail/imta/imta.cnf ", "sims-4.0"},
        {"nms-4.1", "ldap/netscaperoot.ldif ", "nms-4.x"},
        {"nms-3.x", "msg-sample/mailbox/\n", "nms-3.x"},
        {"ims-5.2", "msg-sample/imta/config/imta.cnf ", "ims-5.2"},
        {"ms-8.1", "config/msg.conf.defaults ", NULL},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        MsmSampleResult r;
        char *d = write_sample(reg, cases[i].version, 5, 3, 2, &r);
        char *t = tree_text(d);
        CU_ASSERT_PTR_NOT_NULL(strstr(t, cases[i].must));
        if (!strstr(t, cases[i].must))
            fprintf(stderr, "%s: %s not in\n%s", cases[i].version, cases[i].must, t);
        CU_ASSERT_TRUE(r.written[MSM_KIND_CONFIG]);
        CU_ASSERT_TRUE(r.items[MSM_KIND_CONFIG] > 0);
        /* core's pmdf-queue codec writes the queue of SIMS, iMS and MS, core's nms4-queue
         * that of NMS 4.x; the NMS 3.x queue needs its plugin */
        if (strcmp(cases[i].version, "nms-3.x") == 0) {
            CU_ASSERT_FALSE(r.written[MSM_KIND_QUEUE]);
            CU_ASSERT_PTR_NOT_NULL(r.missing[MSM_KIND_QUEUE]);
        } else {
            MsmSampleModel *qm = model(cases[i].version, 5, 3);
            GPtrArray *queue = msm_sample_model_queue(qm);
            CU_ASSERT_TRUE(r.written[MSM_KIND_QUEUE]);
            CU_ASSERT_PTR_NULL(r.missing[MSM_KIND_QUEUE]);
            CU_ASSERT_EQUAL(r.items[MSM_KIND_QUEUE], queue->len);
            CU_ASSERT_PTR_NOT_NULL(strstr(t, g_str_has_prefix(cases[i].version, "nms-") ? ".held "
                                                                                        : ".HELD "));
            g_ptr_array_unref(queue);
            msm_sample_model_free(qm);
        }
        MsmDetection *det = msm_detect(d, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(det);
        if (cases[i].family != NULL) {
            CU_ASSERT_STRING_EQUAL(det->family ? det->family : "(none)", cases[i].family);
        } else {
            CU_ASSERT_PTR_NOT_NULL(det->family);
        }
        /* server roots get the extra instance, empty */
        if (strstr(cases[i].must, "msg-sample") || strcmp(cases[i].version, "nms-4.1") == 0) {
            CU_ASSERT_PTR_NOT_NULL(strstr(t, "msg-sample2/config/\n"));
        }
        msm_detection_free(det);
        msm_sample_result_clear(&r);
        g_free(t);
        g_free(d);
    }
    msm_registry_free(reg);
}

/* Messages of the first n users' folders; inbox_min_r = the smallest INBOX. */
static guint64
count_messages(const MsmSampleModel *m, guint n, guint *inbox_min_r)
{
    guint64 total = 0;
    *inbox_min_r = G_MAXUINT;
    for (guint u = 0; u < n; u++) {
        GPtrArray *folders = msm_sample_model_folders(m, u);
        for (guint i = 0; i < folders->len; i++) {
            const MsmFolder *f = folders->pdata[i];
            total += f->message_count;
            if (strcmp(f->name, "INBOX") == 0)
                *inbox_min_r = MIN(*inbox_min_r, f->message_count);
        }
        g_ptr_array_unref(folders);
    }
    return total;
}

/* --messages scales every folder: about N per user, INBOX keeps one of each kind. */
static void
test_messages_per_user(void)
{
    MsmSampleModel *m = model("ims-5.2", 12, 42);
    guint inbox0, inbox1, inbox2;
    guint64 n0 = count_messages(m, 12, &inbox0);
    CU_ASSERT_TRUE(n0 >= 12 * 20 && n0 <= 12 * 40); /* the default: about 30 per user */
    m->messages = 300;
    guint64 n1 = count_messages(m, 12, &inbox1);
    CU_ASSERT_TRUE(n1 >= 9 * n0 && n1 <= 11 * n0);
    CU_ASSERT_TRUE(n1 >= 12 * 250 && n1 <= 12 * 350);
    CU_ASSERT_EQUAL(count_messages(m, 12, &inbox2), n1); /* deterministic */
    m->messages = 1;
    count_messages(m, 12, &inbox2);
    CU_ASSERT_TRUE(inbox2 >= MSM_SAMPLE_MSG_KINDS);
    m->messages = 0;
    CU_ASSERT_EQUAL(count_messages(m, 12, &inbox2), n0); /* 0 is the default again */
    CU_ASSERT_EQUAL(inbox2, inbox0);
    msm_sample_model_free(m);
}

MSM_TEST_MAIN("sample", MSM_TEST(test_determinism), MSM_TEST(test_model_people),
              MSM_TEST(test_messages), MSM_TEST(test_messages_per_user), MSM_TEST(test_folders), MSM_TEST(test_queue),
              MSM_TEST(test_config), MSM_TEST(test_directory), MSM_TEST(test_write),
              MSM_TEST(test_write_versions));
