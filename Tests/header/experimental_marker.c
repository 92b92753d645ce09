/*
 * experimental_marker.c — compiled (never linked or run) by Tests/header/run.sh to show that
 * FS_WARN_EXPERIMENTAL works: with -DFS_WARN_EXPERIMENTAL -Wall -Werror this file compiles while it
 * uses only the stable tier, and fails once it uses an experimental function (CALL_EXPERIMENTAL:
 * every function of the header's EXPERIMENTAL section, each of which must be reported). Without
 * FS_WARN_EXPERIMENTAL the same calls compile cleanly: the marker changes no caller's build.
 */
#include <stddef.h>
#include <faceswap.h>

int main(int argc, char **argv) {
    (void)argv;
    int failed = !FS_ABI_COMPATIBLE() || fs_version() != FS_VERSION_NUMBER; /* stable tier */
    fs_swap_options swap;
    failed |= FS_SWAP_OPTIONS_INIT(&swap) != FS_OK; /* stable, and the struct holding the
                                                        learned-only fields */
#ifdef CALL_EXPERIMENTAL
    if (argc > 1000) { /* compiled, never meant to run */
        fs_extract_options eo;
        fs_extract_stats es;
        fs_model *model = NULL;
        fs_model_info info;
        fs_swapper *swapper = NULL;
        fs_train_options to;
        fs_trainer *trainer = NULL;
        int64_t iteration = 0;
        fs_image *preview = NULL;
        const char *inputs[] = {"x.jpg"};
        es.struct_size = sizeof es;
        info.struct_size = sizeof info;
        failed |= FS_EXTRACT_OPTIONS_INIT(&eo);
        failed |= fs_extract(NULL, NULL, inputs, 1, "out", &eo, NULL, NULL, &es);
        failed |= fs_model_load("m.fsm", &model);
        failed |= fs_model_get_info(model, &info);
        {
            float points[136] = {0};
            failed |= fs_model_generate(model, points, &preview);
        }
        failed |= fs_swapper_create_learned(NULL, NULL, model, 0, &swap, &swapper);
        {
            fs_reenactor *reenactor = NULL;
            failed |= fs_reenactor_create_model(NULL, NULL, model, 512, 512, NULL, &reenactor);
            fs_reenactor_free(reenactor);
        }
        fs_model_free(model);
        failed |= FS_TRAIN_OPTIONS_INIT(&to);
        failed |= fs_trainer_create("a", "b", "m.fsm", &to, &trainer);
        failed |= fs_trainer_run(trainer, 1, 0, NULL, NULL);
        failed |= fs_trainer_save(trainer);
        failed |= fs_trainer_get_iteration(trainer, &iteration);
        failed |= fs_trainer_preview(trainer, &preview);
        failed |= fs_trainer_get_model_info(trainer, &info);
        failed |= fs_trainer_get_face_counts(trainer, &iteration, &iteration);
        fs_trainer_free(trainer);
    }
#endif
    (void)argc;
    return failed;
}
