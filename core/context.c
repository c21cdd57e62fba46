/*
 * NAME
 *	context.c - MsmCtx: what the host tells plugins about the run
 * SUMMARY
 *	Implements the accessors of include/msmigrate/context.h over the
 *	host-side struct of ctxpriv.h.
 * DIAGNOSTICS
 *	msm_ctx_log() writes "<ISO time> <level> <message>" lines to the run log
 *	and INFO and above to stderr (DEBUG too with --verbose). It is safe to
 *	call from worker threads.
 */
#include "config.h"

#include "ctxpriv.h"
#include "journal.h"
#include "registry.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static GMutex ctx_mutex;

MsmCtx *
msm_ctx_new(void)
{
    MsmCtx *ctx = g_new0(MsmCtx, 1);
    ctx->run_id = g_strdup("");
    ctx->hop_kinds = G_MAXUINT;
    ctx->emitted = g_ptr_array_new_with_free_func((GDestroyNotify)msm_item_free);
    ctx->option_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return ctx;
}

void
msm_ctx_free(MsmCtx *ctx)
{
    if (ctx == NULL)
        return;
    g_free(ctx->run_id);
    g_free(ctx->source_root);
    g_free(ctx->target_root);
    g_free(ctx->work_dir);
    g_free(ctx->run_from);
    g_free(ctx->run_to);
    g_free(ctx->instance);
    msm_layout_free(ctx->source_layout);
    msm_layout_free(ctx->target_layout);
    g_ptr_array_unref(ctx->emitted);
    g_hash_table_unref(ctx->option_cache);
    g_free(ctx->store_stage_root);
    g_free(ctx);
}

gboolean
msm_ctx_enter_hop(MsmCtx *ctx, const char *from, const char *to, GError **error)
{
    ctx->hop_from = from;
    ctx->hop_to = to;
    if (ctx->target_root == NULL)
        return TRUE;
    MsmLayout *l = msm_layout_resolve(ctx->target_root, to, ctx->instance, error);
    if (l == NULL)
        return FALSE;
    msm_layout_free(ctx->target_layout);
    ctx->target_layout = l;
    return TRUE;
}

static const char *
nz(const char *s)
{
    return s ? s : "";
}

const char *
msm_ctx_run_id(const MsmCtx *ctx)
{
    return nz(ctx->run_id);
}

const char *
msm_ctx_source_root(const MsmCtx *ctx)
{
    return nz(ctx->source_root);
}

const char *
msm_ctx_target_root(const MsmCtx *ctx)
{
    return nz(ctx->target_root);
}

const char *
msm_ctx_work_dir(const MsmCtx *ctx)
{
    return nz(ctx->work_dir);
}

const char *
msm_ctx_run_from(const MsmCtx *ctx)
{
    return nz(ctx->run_from);
}

const char *
msm_ctx_run_to(const MsmCtx *ctx)
{
    return nz(ctx->run_to);
}

const char *
msm_ctx_hop_from(const MsmCtx *ctx)
{
    return ctx->hop_from ? ctx->hop_from : nz(ctx->run_from);
}

const char *
msm_ctx_hop_to(const MsmCtx *ctx)
{
    return ctx->hop_to ? ctx->hop_to : nz(ctx->run_to);
}

const char *
msm_ctx_instance(const MsmCtx *ctx)
{
    return ctx->instance;
}

gboolean
msm_ctx_dry_run(const MsmCtx *ctx)
{
    return ctx->dry_run;
}

const char *
msm_ctx_option(const MsmCtx *ctx, const char *group, const char *key)
{
    if (ctx->profile == NULL)
        return NULL;
    char *v = g_key_file_get_string(ctx->profile, group, key, NULL);
    if (v == NULL)
        return NULL;
    /* GKeyFile hands out copies: keep each one alive as long as the context. */
    g_mutex_lock(&ctx_mutex);
    char *ck = g_strdup_printf("%s\n%s", group, key);
    const char *old = g_hash_table_lookup(ctx->option_cache, ck);
    const char *result;
    if (old && strcmp(old, v) == 0) {
        g_free(v);
        g_free(ck);
        result = old;
    } else {
        g_hash_table_replace(ctx->option_cache, ck, v);
        result = v;
    }
    g_mutex_unlock(&ctx_mutex);
    return result;
}

char *
msm_ctx_secret(MsmCtx *ctx, const char *name, GError **error)
{
    if (ctx->secret_func == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "no source for the secret \"%s\": set password_file, password_env or "
                    "password_prompt in the [%s] group of the site profile",
                    name, name);
        return NULL;
    }
    return ctx->secret_func(name, ctx->secret_data, error);
}

char *
msm_ctx_artifact_path(MsmCtx *ctx, const char *relname, GError **error)
{
    if (ctx->work_dir == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "no work directory: artifacts exist only inside a run");
        return NULL;
    }
    char *adir = g_build_filename(ctx->work_dir, "artifacts", NULL);
    char *path = msm_path_under(adir, relname, error);
    g_free(adir);
    if (path == NULL)
        return NULL;
    char *parent = g_path_get_dirname(path);
    gboolean ok = msm_mkdir_p(parent, FALSE, error);
    g_free(parent);
    if (!ok) {
        g_free(path);
        return NULL;
    }
    return path;
}

static const char *const level_names[] = {"debug", "info", "warning", "error"};

void
msm_ctx_log(MsmCtx *ctx, MsmLogLevel level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if ((int)level < 0 || level > MSM_LOG_ERROR)
        level = MSM_LOG_ERROR;
    GDateTime *now = g_date_time_new_now_utc();
    char *stamp = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
    g_date_time_unref(now);
    g_mutex_lock(&ctx_mutex);
    if (ctx->log) {
        fprintf(ctx->log, "%s %s %s\n", stamp, level_names[level], msg);
        fflush(ctx->log);
    }
    gboolean show = ctx->verbose || (level >= MSM_LOG_INFO && !ctx->quiet) ||
                    level >= MSM_LOG_WARNING;
    if (show) {
        if (level >= MSM_LOG_WARNING)
            fprintf(stderr, "msmigrate: %s: %s\n", level_names[level], msg);
        else
            fprintf(stderr, "msmigrate: %s\n", msg);
    }
    g_mutex_unlock(&ctx_mutex);
    g_free(stamp);
    g_free(msg);
}

void
msm_ctx_emit(MsmCtx *ctx, MsmItem *item)
{
    g_mutex_lock(&ctx_mutex);
    g_ptr_array_add(ctx->emitted, item);
    g_mutex_unlock(&ctx_mutex);
}

gpointer
msm_ctx_get_plugin_data(const MsmCtx *ctx)
{
    return ctx->plugin_data;
}

void
msm_ctx_set_plugin_data(MsmCtx *ctx, gpointer data)
{
    ctx->plugin_data = data;
}

const MsmCodec *
msm_ctx_find_codec(MsmCtx *ctx, MsmKind kind, const char *version)
{
    g_return_val_if_fail(ctx != NULL && version != NULL, NULL);
    if (ctx->registry == NULL)
        return NULL;
    const MsmCodecRef *ref = msm_registry_find_codec(ctx->registry, kind, version);
    return ref ? ref->codec : NULL;
}

void
msm_ctx_journal_event(MsmCtx *ctx, const char *fmt, ...)
{
    g_return_if_fail(ctx != NULL && fmt != NULL);
    if (ctx->journal == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    msm_journal_event(ctx->journal, NULL, "%s", text);
    g_free(text);
}
