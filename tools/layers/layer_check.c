/* An empty program: layer_check_<layer> links the whole of one layer's library with
 * only the layers below it (meson.build), so that a call from a layer into one above
 * it is an undefined symbol and the build fails.  Nothing to run. */
int main(void) { return 0; }
