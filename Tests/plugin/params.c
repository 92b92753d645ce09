/* Tests/plugin/params.c — what a frei0r host sees of the plugin before any frame: loads the
 * plugin given as argv[1] as a host does (dlopen), and prints each parameter's name, type and
 * explanation, then the value f0r_get_param_value gives on a new instance:
 *
 *   param 5 detect_interval double: Detect interval: ...
 *   value 5 detect_interval 0.004004
 *
 * Tests/plugin/run.sh compares these lines with the library's own description. */
#include <frei0r.h>

#include <dlfcn.h>
#include <stdio.h>

#define LOAD(name) *(void **)&name = dlsym(plugin, #name)

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s PLUGIN.so\n", argv[0]);
        return 2;
    }
    void *plugin = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!plugin) {
        fprintf(stderr, "cannot load %s: %s\n", argv[1], dlerror());
        return 1;
    }
    int (*f0r_init)(void);
    void (*f0r_deinit)(void);
    void (*f0r_get_plugin_info)(f0r_plugin_info_t *);
    void (*f0r_get_param_info)(f0r_param_info_t *, int);
    f0r_instance_t (*f0r_construct)(unsigned, unsigned);
    void (*f0r_destruct)(f0r_instance_t);
    void (*f0r_get_param_value)(f0r_instance_t, f0r_param_t, int);
    LOAD(f0r_init), LOAD(f0r_deinit), LOAD(f0r_get_plugin_info), LOAD(f0r_get_param_info);
    LOAD(f0r_construct), LOAD(f0r_destruct), LOAD(f0r_get_param_value);
    if (!f0r_init || !f0r_deinit || !f0r_get_plugin_info || !f0r_get_param_info || !f0r_construct ||
        !f0r_destruct || !f0r_get_param_value) {
        fprintf(stderr, "%s lacks a frei0r entry point\n", argv[1]);
        return 1;
    }
    static const char *types[] = {"bool", "double", "color", "position", "string"};
    f0r_init();
    f0r_plugin_info_t info;
    f0r_get_plugin_info(&info);
    for (int i = 0; i < info.num_params; i++) {
        f0r_param_info_t p;
        f0r_get_param_info(&p, i);
        printf("param %d %s %s: %s\n", i, p.name, p.type >= 0 && p.type <= 4 ? types[p.type] : "?",
               p.explanation ? p.explanation : "");
    }
    f0r_instance_t in = f0r_construct(64, 64);
    if (!in) {
        fprintf(stderr, "f0r_construct failed\n");
        return 1;
    }
    for (int i = 0; i < info.num_params; i++) {
        f0r_param_info_t p;
        f0r_get_param_info(&p, i);
        if (p.type == F0R_PARAM_STRING) {
            char *s = NULL;
            f0r_get_param_value(in, &s, i);
            printf("value %d %s %s\n", i, p.name, s ? s : "(null)");
        } else if (p.type == F0R_PARAM_DOUBLE || p.type == F0R_PARAM_BOOL) {
            double v = -1;
            f0r_get_param_value(in, &v, i);
            printf("value %d %s %.17g\n", i, p.name, v);
        }
    }
    f0r_destruct(in);
    f0r_deinit();
    dlclose(plugin);
    return 0;
}
