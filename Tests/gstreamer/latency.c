/*
 * latency.c — asks a live pipeline with the faceswap element for its latency.
 *
 *   latency SOURCE_PHOTO ELEMENT     ELEMENT: "faceswap" or "identity" (the reference)
 *
 * Runs `videotestsrc is-live=true ! BGR 320x240 25/1 ! ELEMENT ! fakesink` (ELEMENT gets
 * source=SOURCE_PHOTO when it is faceswap), waits until it plays, sends a LATENCY query to the
 * pipeline and prints "live=1 min=<ns> max=<ns>" (max -1: none). Exits 1 when the pipeline does
 * not play or the query is not answered, printing why.
 */
#include <gst/gst.h>
#include <stdio.h>

int main(int argc, char **argv) {
    gst_init(&argc, &argv);
    if (argc != 3) {
        fprintf(stderr, "usage: latency SOURCE_PHOTO faceswap|identity\n");
        return 2;
    }
    gchar *description = g_strdup_printf(
        "videotestsrc is-live=true pattern=ball ! video/x-raw,format=BGR,width=320,height=240,framerate=25/1 "
        "! %s %s%s ! fakesink sync=true",
        argv[2], g_str_equal(argv[2], "faceswap") ? "source=" : "", g_str_equal(argv[2], "faceswap") ? argv[1] : "");
    GError *error = NULL;
    GstElement *pipeline = gst_parse_launch(description, &error);
    if (!pipeline) {
        fprintf(stderr, "latency: cannot build '%s': %s\n", description, error->message);
        return 1;
    }
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    GstState state;
    /* a live pipeline goes to PLAYING without prerolling; wait up to 20 s for it */
    GstStateChangeReturn ret = gst_element_get_state(pipeline, &state, NULL, 20 * GST_SECOND);
    GstMessage *msg = gst_bus_timed_pop_filtered(GST_ELEMENT_BUS(pipeline), 300 * GST_MSECOND, GST_MESSAGE_ERROR);
    if (ret == GST_STATE_CHANGE_FAILURE || state != GST_STATE_PLAYING || msg) {
        if (msg) {
            gst_message_parse_error(msg, &error, NULL);
            fprintf(stderr, "latency: the pipeline failed: %s\n", error->message);
        } else {
            fprintf(stderr, "latency: the pipeline did not reach PLAYING\n");
        }
        return 1;
    }
    GstQuery *query = gst_query_new_latency();
    int rc = 1;
    if (gst_element_query(pipeline, query)) {
        gboolean live;
        GstClockTime min, max;
        gst_query_parse_latency(query, &live, &min, &max);
        printf("live=%d min=%" G_GUINT64_FORMAT " max=%" G_GINT64_FORMAT "\n", live, min,
               GST_CLOCK_TIME_IS_VALID(max) ? (gint64)max : (gint64)-1);
        rc = 0;
    } else {
        fprintf(stderr, "latency: the LATENCY query was not answered\n");
    }
    gst_query_unref(query);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(pipeline);
    g_free(description);
    return rc;
}
