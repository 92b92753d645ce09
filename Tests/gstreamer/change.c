/*
 * change.c — sets a property of the faceswap element while the pipeline plays.
 *
 *   change 'PIPELINE with faceswap name=fs' AFTER PROPERTY VALUE
 *
 * Plays PIPELINE; just before the AFTER-th buffer (counting from 0) reaches the element, sets
 * PROPERTY to VALUE (as gst-launch would parse it), and runs to the end. Prints "eos" and exits 0
 * when the pipeline ends normally; prints "error: <message>" and exits 1 when it stops with an
 * error; exits 2 when the pipeline cannot be built or has no element named fs.
 */
#include <gst/gst.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    GstElement *element;
    guint64 seen, after;
    const char *property, *value;
} change;

/* Runs on the streaming thread before each buffer enters the element. */
static GstPadProbeReturn before_buffer(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
    change *c = data;
    (void)pad, (void)info;
    if (c->seen++ == c->after) gst_util_set_object_arg(G_OBJECT(c->element), c->property, c->value);
    return GST_PAD_PROBE_OK;
}

int main(int argc, char **argv) {
    gst_init(&argc, &argv);
    if (argc != 5) {
        fprintf(stderr, "usage: change 'PIPELINE with faceswap name=fs' AFTER PROPERTY VALUE\n");
        return 2;
    }
    GError *error = NULL;
    GstElement *pipeline = gst_parse_launch(argv[1], &error);
    if (!pipeline) {
        fprintf(stderr, "change: cannot build the pipeline: %s\n", error->message);
        return 2;
    }
    change c = {gst_bin_get_by_name(GST_BIN(pipeline), "fs"), 0, strtoull(argv[2], NULL, 10), argv[3], argv[4]};
    if (!c.element) {
        fprintf(stderr, "change: the pipeline has no element named fs\n");
        return 2;
    }
    GstPad *sink = gst_element_get_static_pad(c.element, "sink");
    gst_pad_add_probe(sink, GST_PAD_PROBE_TYPE_BUFFER, before_buffer, &c, NULL);
    gst_object_unref(sink);

    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    GstMessage *msg = gst_bus_timed_pop_filtered(GST_ELEMENT_BUS(pipeline), GST_CLOCK_TIME_NONE,
                                                 GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    int rc = 0;
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
        gst_message_parse_error(msg, &error, NULL);
        printf("error: %s\n", error->message);
        rc = 1;
    } else {
        printf("eos\n");
    }
    gst_message_unref(msg);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(c.element);
    gst_object_unref(pipeline);
    return rc;
}
