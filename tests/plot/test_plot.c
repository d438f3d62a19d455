/* vrun's plots (plot/) from real runs: Neal's funnel under NUTS (divergent
 * transitions), two normals under NUTS (none), a BBVI fit (ELBO trace) and a Stan CSV
 * written by rstan.  Every file is read back: each PNG decodes (libpng) with the size
 * asked for and is not blank, each SVG parses (libxml2) with that size, index.html
 * links every file, and the pairs plot is red exactly where the divergent draws are.
 * argv[1]: vrun; VMOD_SRC: the source tree. */
#include <check.h>
#include <math.h>
#include <png.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "plot/plot.h"
#include "tests/test_seed.h"

#define W 640
#define H 480

static const char *vrun, *src;
static char tmp[256];

static void path_of(char *out, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, len, fmt, ap);
    va_end(ap);
}

static void read_chains(VmPlotDraws *d, const char *stem, int chains)
{
    char p[512], err[512];
    memset(d, 0, sizeof *d);
    for (int k = 1; k <= chains; k++) {
        path_of(p, sizeof p, "%s/%s_%d.csv", tmp, stem, k);
        ck_assert_msg(vm_plot_read_csv(d, p, err, sizeof err) == 0, "%s", err);
    }
}

/* The image as RGB bytes; NULL if it does not decode. */
static unsigned char *png_load(const char *path, int *w, int *h)
{
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&im, path)) return NULL;
    im.format = PNG_FORMAT_RGB;
    unsigned char *px = malloc(PNG_IMAGE_SIZE(im));
    if (!px || !png_image_finish_read(&im, NULL, px, 0, NULL)) {
        free(px);
        png_image_free(&im);
        return NULL;
    }
    *w = (int)im.width;
    *h = (int)im.height;
    return px;
}

static int is_red(const unsigned char *p) { return p[0] >= 200 && p[1] <= 60 && p[2] <= 60; }

static void check_png(const char *path, int ew, int eh)
{
    int w, h;
    unsigned char *px = png_load(path, &w, &h);
    ck_assert_msg(px != NULL, "%s does not decode as PNG", path);
    ck_assert_msg(w == ew && h == eh, "%s is %dx%d, asked for %dx%d", path, w, h, ew, eh);
    /* not blank: a real share of the pixels is drawn, with axes and text */
    long ink = 0, dark = 0;
    for (long i = 0; i < (long)w * h; i++) {
        const unsigned char *p = px + 3 * i;
        if (p[0] < 250 || p[1] < 250 || p[2] < 250) ink++;
        if (p[0] < 60 && p[1] < 60 && p[2] < 60) dark++;
    }
    free(px);
    ck_assert_msg(ink > (long)w * h / 100, "%s is nearly blank (%ld drawn pixels)", path, ink);
    ck_assert_msg(dark > 100, "%s has no axes or text (%ld dark pixels)", path, dark);
}

static long svg_elements(xmlNodePtr n)
{
    long k = 0;
    for (xmlNodePtr c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE) k += 1 + svg_elements(c);
    return k;
}

static void check_svg(const char *path, int ew, int eh)
{
    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_HUGE | XML_PARSE_NOERROR);
    ck_assert_msg(doc != NULL, "%s does not parse as XML", path);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    ck_assert_msg(root && !strcmp((const char *)root->name, "svg"), "%s: root is not <svg>", path);
    xmlChar *vb = xmlGetProp(root, (const xmlChar *)"viewBox");
    char want[64];
    snprintf(want, sizeof want, "0 0 %d %d", ew, eh);
    ck_assert_msg(vb && !strcmp((const char *)vb, want), "%s: viewBox '%s', expected '%s'", path,
                  vb ? (const char *)vb : "(none)", want);
    xmlFree(vb);
    ck_assert_msg(svg_elements(root) > 50, "%s: an empty drawing", path);
    xmlFreeDoc(doc);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *s = malloc((size_t)n + 1);
    ck_assert(fread(s, 1, (size_t)n, f) == (size_t)n);
    s[n] = 0;
    fclose(f);
    return s;
}

/* Write the plots of d into tmp/dir and check every file and the index.  Returns the
 * number of files. */
static size_t plot_and_check(const VmPlotDraws *d, const char *dir, unsigned kinds, const char *vars,
                             int w, int h, const char *const *expect)
{
    char out[512], err[512];
    path_of(out, sizeof out, "%s/%s", tmp, dir);
    VmPlotOpts o = {out, kinds, vars, w, h, 1, "test"};
    char **files = NULL;
    size_t n = 0;
    ck_assert_msg(vm_plot_write(d, &o, &files, &n, err, sizeof err) == 0, "%s", err);
    char idx[600];
    path_of(idx, sizeof idx, "%s/index.html", out);
    char *html = slurp(idx);
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(files[i]);
        if (!strcmp(files[i] + l - 4, ".png")) check_png(files[i], w, h);
        else check_svg(files[i], w, h);
        char href[600];
        snprintf(href, sizeof href, "href=\"%s\"", strrchr(files[i], '/') + 1);
        ck_assert_msg(strstr(html, href) != NULL, "index.html does not link %s", files[i]);
    }
    for (size_t k = 0; expect && expect[k]; k++) {
        char p[600];
        path_of(p, sizeof p, "%s/%s", out, expect[k]);
        int found = 0;
        for (size_t i = 0; i < n; i++) found |= !strcmp(files[i], p);
        ck_assert_msg(found, "%s was not written", p);
    }
    free(html);
    vm_plot_files_free(files, n);
    return n;
}

START_TEST(funnel_every_kind)
{
    VmPlotDraws d;
    read_chains(&d, "funnel", 4);
    static const char *const want[] = {"trace.png", "trace.svg", "rank.png", "rank.svg", "density.png",
                                       "density.svg", "pairs.png", "pairs.svg", "energy.png", "energy.svg", NULL};
    ck_assert_uint_eq(plot_and_check(&d, "funnel", 0, NULL, W, H, want), 10);
    /* another size, one kind asked for */
    static const char *const one[] = {"energy.png", "energy.svg", NULL};
    unsigned mask;
    char err[256];
    ck_assert(vm_plot_parse_kinds("energy", &mask, err, sizeof err) == 0);
    ck_assert_uint_eq(plot_and_check(&d, "funnel_small", mask, NULL, 500, 300, one), 2);
    vm_plot_draws_free(&d);
}
END_TEST

/* Red pixels (from the pairs plot at W x H) around (x, y) of cell (i, j) of n. */
static int red_near(const unsigned char *px, size_t n, size_t i, size_t j, double x, double xlo,
                    double xhi, double y, double ylo, double yhi)
{
    double box[4];
    vm_plot_pairs_cell(n, i, j, box);
    double nx = box[0] + (x - xlo) / (xhi - xlo) * (box[1] - box[0]);
    double ny = box[2] + (y - ylo) / (yhi - ylo) * (box[3] - box[2]);
    int cx = (int)lround(nx * W), cy = (int)lround((1 - ny) * H), red = 0;
    for (int dy = -3; dy <= 3; dy++)
        for (int dx = -3; dx <= 3; dx++) {
            int X = cx + dx, Y = cy + dy;
            if (X >= 0 && X < W && Y >= 0 && Y < H) red += is_red(px + 3 * ((size_t)Y * W + (size_t)X));
        }
    return red;
}

static long count_red(const char *path, long *outside, size_t n)
{
    int w, h;
    unsigned char *px = png_load(path, &w, &h);
    ck_assert(px != NULL);
    long red = 0;
    *outside = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            if (!is_red(px + 3 * ((size_t)y * (size_t)w + (size_t)x))) continue;
            red++;
            /* inside a scatter cell (j < i)? */
            int in = 0;
            for (size_t i = 1; i < n; i++)
                for (size_t j = 0; j < i; j++) {
                    double b[4];
                    vm_plot_pairs_cell(n, i, j, b);
                    double nx = (x + 0.5) / w, ny = 1 - (y + 0.5) / h;
                    in |= nx >= b[0] - 0.01 && nx <= b[1] + 0.01 && ny >= b[2] - 0.01 && ny <= b[3] + 0.01;
                }
            *outside += !in;
        }
    free(px);
    return red;
}

START_TEST(pairs_red_where_divergent)
{
    VmPlotDraws d;
    read_chains(&d, "funnel", 4);
    size_t cols[3] = {(size_t)vm_plot_col(&d, "v"), (size_t)vm_plot_col(&d, "x.1"), (size_t)vm_plot_col(&d, "x.2")};
    long cdiv = vm_plot_col(&d, "divergent__");
    ck_assert(cdiv >= 0);
    plot_and_check(&d, "pairs_funnel", 1u << VM_PLOT_PAIRS, "v,x", W, H, NULL);
    char p[600];
    path_of(p, sizeof p, "%s/pairs_funnel/pairs.png", tmp);
    int w, h;
    unsigned char *px = png_load(p, &w, &h);
    ck_assert(px != NULL);
    double lo[3], hi[3];
    for (int k = 0; k < 3; k++) vm_plot_col_limits(&d, cols[k], &lo[k], &hi[k]);
    long ndiv = 0, missed = 0;
    for (int c = 0; c < d.nchain; c++)
        for (long t = 0; t < d.ch[c].n; t++) {
            const double *row = d.ch[c].v + (size_t)t * d.ncol;
            if (row[cdiv] < 0.5) continue;
            ndiv++;
            for (size_t i = 1; i < 3; i++)
                for (size_t j = 0; j < i; j++)
                    missed += red_near(px, 3, i, j, row[cols[j]], lo[j], hi[j], row[cols[i]], lo[i], hi[i]) == 0;
        }
    free(px);
    ck_assert_msg(ndiv > 0, "the funnel run had no divergent transitions: the test needs some");
    ck_assert_msg(missed == 0, "%ld of %ld divergent draws (x 3 cells) have no red pixel", missed, ndiv);
    long outside, red = count_red(p, &outside, 3);
    ck_assert(red > 0);
    ck_assert_msg(outside == 0, "%ld red pixels outside the scatter cells", outside);
    vm_plot_draws_free(&d);
}
END_TEST

START_TEST(pairs_no_red_without_divergences)
{
    VmPlotDraws d;
    read_chains(&d, "normal", 4);
    long cdiv = vm_plot_col(&d, "divergent__"), ndiv = 0;
    ck_assert(cdiv >= 0);
    for (int c = 0; c < d.nchain; c++)
        for (long t = 0; t < d.ch[c].n; t++) ndiv += d.ch[c].v[(size_t)t * d.ncol + (size_t)cdiv] > 0.5;
    ck_assert_msg(ndiv == 0, "the normal run had %ld divergent transitions: the test needs none", ndiv);
    plot_and_check(&d, "pairs_normal", 1u << VM_PLOT_PAIRS, NULL, W, H, NULL);
    char p[600];
    path_of(p, sizeof p, "%s/pairs_normal/pairs.png", tmp);
    long outside;
    ck_assert_int_eq(count_red(p, &outside, 2), 0);
    vm_plot_draws_free(&d);
}
END_TEST

START_TEST(vi_elbo)
{
    VmPlotDraws d;
    char p[512], err[512];
    memset(&d, 0, sizeof d);
    path_of(p, sizeof p, "%s/vi.csv", tmp);
    ck_assert_msg(vm_plot_read_csv(&d, p, err, sizeof err) == 0, "%s", err);
    ck_assert(d.vi);
    /* the trace has one value per iteration the report counts */
    char *txt = slurp(p);
    const char *conv = strstr(txt, "Converged after ");
    ck_assert(conv != NULL);
    ck_assert_int_eq(d.ch[0].nelbo, atol(conv + 16));
    ck_assert_int_eq(d.ch[0].elbo_window, 100);
    ck_assert(d.ch[0].avg_to == d.ch[0].nelbo && d.ch[0].avg_from > 1);
    ck_assert(isfinite(d.ch[0].khat));
    free(txt);
    /* the draws: output_samples rows after the mean of q */
    ck_assert_int_eq(d.ch[0].n, 1000);
    static const char *const want[] = {"elbo.png", "elbo.svg", "density.png", "pairs.png", NULL};
    ck_assert_uint_eq(plot_and_check(&d, "vi", 0, NULL, W, H, want), 6);
    /* kinds that need what the file does not have */
    VmPlotOpts o = {p, 1u << VM_PLOT_ENERGY, NULL, W, H, 1, "x"};
    path_of(p, sizeof p, "%s/vi_energy", tmp);
    ck_assert(vm_plot_write(&d, &o, NULL, NULL, err, sizeof err) != 0);
    ck_assert_msg(strstr(err, "the energy plot needs an energy__ column (a NUTS run)") != NULL, "%s", err);
    vm_plot_draws_free(&d);
    read_chains(&d, "normal", 4);
    o.kinds = 1u << VM_PLOT_ELBO;
    ck_assert(vm_plot_write(&d, &o, NULL, NULL, err, sizeof err) != 0);
    ck_assert_msg(strstr(err, "the ELBO plot needs a VI run's ELBO trace") != NULL, "%s", err);
    vm_plot_draws_free(&d);
}
END_TEST

START_TEST(rstan_fixture)
{
    VmPlotDraws d;
    char p[512], err[512];
    memset(&d, 0, sizeof d);
    for (int k = 1; k <= 2; k++) {
        path_of(p, sizeof p, "%s/tests/fixtures/plot/rstan_%d.csv", src, k);
        ck_assert_msg(vm_plot_read_csv(&d, p, err, sizeof err) == 0, "%s", err);
        /* iter = 300, warmup = 150: rstan keeps the warm-up rows before "Adaptation terminated" */
        ck_assert_int_eq(d.ch[k - 1].nwarmup, 150);
        ck_assert_int_eq(d.ch[k - 1].n, 150);
    }
    ck_assert(!d.vi);
    size_t *idx, n;
    ck_assert(vm_plot_select(&d, "theta", &idx, &n, err, sizeof err) == 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(d.names[idx[0]], "theta.1");
    ck_assert_str_eq(d.names[idx[2]], "theta.3");
    free(idx);
    ck_assert(vm_plot_select(&d, "theta[2],mu", &idx, &n, err, sizeof err) == 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(d.names[idx[0]], "theta.2");
    ck_assert_str_eq(d.names[idx[1]], "mu");
    free(idx);
    static const char *const want[] = {"trace.png", "rank.png", "density.png", "pairs.png", "energy.png", NULL};
    ck_assert_uint_eq(plot_and_check(&d, "rstan", 0, "mu,theta", W, H, want), 10);
    /* the energy plot's E-BFMI against rstan's get_bfmi on the same fit.  The CSV holds
     * 6 significant digits, rstan used the doubles: 2e-3 relative is far below the 1.3%
     * that dividing by n - 1 instead of n would change */
    path_of(p, sizeof p, "%s/tests/fixtures/plot/rstan_bfmi.txt", src);
    FILE *f = fopen(p, "r");
    ck_assert_msg(f != NULL, "cannot open %s", p);
    long ce = vm_plot_col(&d, "energy__");
    for (int k = 0; k < 2; k++) {
        double want_b;
        ck_assert(fscanf(f, "%lf", &want_b) == 1);
        double got = vm_plot_ebfmi(d.ch[k].v + ce, d.ncol, d.ch[k].n);
        ck_assert_msg(fabs(got - want_b) < 2e-3 * want_b, "chain %d: E-BFMI %.6g, rstan %.6g", k + 1, got, want_b);
    }
    fclose(f);
    vm_plot_draws_free(&d);
}
END_TEST

static void write_file(const char *name, const char *text, char *path, size_t len)
{
    path_of(path, len, "%s/%s", tmp, name);
    FILE *f = fopen(path, "w");
    ck_assert(f != NULL);
    fputs(text, f);
    fclose(f);
}

/* Each malformed input gives one message naming the file and line. */
START_TEST(csv_errors)
{
    static const struct { const char *name, *text, *msg; } cases[] = {
        {"short.csv", "# c\nlp__,a,b\n1,2,3\n4,5\n", "short.csv:4: expected 3 values, found 2"},
        {"long.csv", "lp__,a\n1,2,3\n", "long.csv:2: expected 2 values, found more"},
        {"word.csv", "lp__,a\n1,x\n", "word.csv:2: value 2 is not a number"},
        {"empty.csv", "# only comments\n", "empty.csv: no header row: not a Stan CSV file"},
        {"nodraws.csv", "lp__,a\n", "nodraws.csv: no draws after warm-up"},
    };
    char p[512], err[512];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        VmPlotDraws d = {0};
        write_file(cases[i].name, cases[i].text, p, sizeof p);
        ck_assert(vm_plot_read_csv(&d, p, err, sizeof err) != 0);
        ck_assert_msg(strstr(err, cases[i].msg) != NULL, "%s: got '%s'", cases[i].name, err);
        vm_plot_draws_free(&d);
    }
    VmPlotDraws d = {0};
    path_of(p, sizeof p, "%s/missing.csv", tmp);
    ck_assert(vm_plot_read_csv(&d, p, err, sizeof err) != 0);
    ck_assert_msg(strstr(err, "missing.csv: cannot open: No such file or directory") != NULL, "%s", err);
    /* two files whose columns differ */
    write_file("one.csv", "lp__,a\n1,2\n", p, sizeof p);
    ck_assert(vm_plot_read_csv(&d, p, err, sizeof err) == 0);
    write_file("two.csv", "lp__,b\n1,2\n", p, sizeof p);
    ck_assert(vm_plot_read_csv(&d, p, err, sizeof err) != 0);
    ck_assert_msg(strstr(err, "two.csv:1: the columns differ from those of") != NULL, "%s", err);
    size_t *idx, n;
    ck_assert(vm_plot_select(&d, "nope", &idx, &n, err, sizeof err) != 0);
    ck_assert_str_eq(err, "no variable 'nope' in the draws");
    unsigned mask;
    ck_assert(vm_plot_parse_kinds("trace,pie", &mask, err, sizeof err) != 0);
    ck_assert_str_eq(err, "unknown plot kind 'pie' (kinds: trace, rank, density, pairs, energy, elbo)");
    vm_plot_draws_free(&d);
}
END_TEST

static void run_or_die(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (system(cmd) != 0) {
        fprintf(stderr, "failed: %s\n", cmd);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2 || !(src = getenv("VMOD_SRC"))) {
        fprintf(stderr, "usage: VMOD_SRC=DIR test_plot VRUN\n");
        return 1;
    }
    vrun = argv[1];
    snprintf(tmp, sizeof tmp, "/tmp/vmod_plot_XXXXXX");
    if (!mkdtemp(tmp)) return 1;
    /* the real runs, once */
    unsigned long s = test_seed(3);
    run_or_die("%s %s/tests/plot/funnel.vmod --seed=%lu --output=%s/funnel.csv --quiet >/dev/null", vrun, src, s, tmp);
    run_or_die("%s %s/tests/plot/normal.vmod --seed=%lu --output=%s/normal.csv --quiet >/dev/null", vrun, src, s, tmp);
    run_or_die("%s %s/examples/eight_schools.vmod --method=bbvi --seed=%lu --output=%s/vi.csv --quiet >/dev/null",
               vrun, src, s, tmp);
    Suite *su = suite_create("plot");
    TCase *tc = tcase_create("plot");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, funnel_every_kind);
    tcase_add_test(tc, pairs_red_where_divergent);
    tcase_add_test(tc, pairs_no_red_without_divergences);
    tcase_add_test(tc, vi_elbo);
    tcase_add_test(tc, rstan_fixture);
    tcase_add_test(tc, csv_errors);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    run_or_die("rm -rf %s", tmp);
    return failed ? 1 : 0;
}
