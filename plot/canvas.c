/* One PLplot stream per file, through its cairo drivers (pngcairo, svgcairo), which
 * need no display.  PLplot keeps global state, so one canvas is open at a time; its
 * recoverable errors (plabort) are caught here and returned as values.  Its fatal
 * errors (plexit) end the process and cannot be caught: the file is opened here first
 * so that the usual cause, an unwritable path, is an error value instead. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <plplot/plplot.h>
#include "plot/plot_int.h"

static char canvas_err[256];   /* the first plabort message of the open canvas */

static void canvas_abort(PLCHAR_VECTOR msg)
{
    if (!canvas_err[0]) snprintf(canvas_err, sizeof canvas_err, "PLplot: %s", msg);
}

/* Okabe and Ito's colour-blind-safe palette without its vermillion, and two greys:
 * red is kept for divergent transitions. */
static const unsigned char chain_rgb[VM_PLOT_NCHAINCOL][3] = {
    {0, 114, 178}, {230, 159, 0}, {0, 158, 115}, {204, 121, 167},
    {86, 180, 233}, {160, 150, 0}, {90, 90, 90}, {140, 86, 75}};

/* 1 when PLplot has the driver: given an unknown one, plinit would ask for a device on
 * stdin and wait. */
static int canvas_has_device(const char *dev)
{
    PLCHAR_VECTOR menu[256], name[256];
    PLCHAR_VECTOR *pm = menu, *pn = name;
    int n = 256;
    plgFileDevs(&pm, &pn, &n);
    for (int i = 0; i < n; i++)
        if (pn[i] && !strcmp(pn[i], dev)) return 1;
    return 0;
}

int vm_plot_canvas_open(const char *path, int svg, int w, int h, char *err, size_t errlen)
{
    const char *dev = svg ? "svgcairo" : "pngcairo";
    if (!canvas_has_device(dev)) {
        snprintf(err, errlen, "PLplot has no %s driver: install plplot-driver-cairo", dev);
        return -1;
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    canvas_err[0] = 0;
    plsabort(canvas_abort);
    plsdev(dev);
    plsfile(f);
    plspage(0, 0, w, h, 0, 0);
    plscolbg(255, 255, 255);
    plinit();
    /* iteration numbers up to 6 digits as they are: PLplot's "(x10^4)" factor collides
     * with the axis label */
    plsxax(6, 0);
    plsyax(6, 0);
    plscol0a(VM_PLOT_C_BG, 255, 255, 255, 1.0);
    plscol0a(VM_PLOT_C_FG, 0, 0, 0, 1.0);
    plscol0a(VM_PLOT_C_GRAY, 110, 110, 110, 1.0);
    plscol0a(VM_PLOT_C_RED, 255, 0, 0, 1.0);
    plscol0a(VM_PLOT_C_POINT, 40, 60, 110, 0.5);
    plscol0a(VM_PLOT_C_SHADE, 215, 215, 215, 1.0);
    plscol0a(VM_PLOT_C_LIGHT, 150, 150, 150, 0.6);
    for (int c = 0; c < VM_PLOT_NCHAINCOL; c++)
        plscol0a(VM_PLOT_C_CHAIN + c, chain_rgb[c][0], chain_rgb[c][1], chain_rgb[c][2], 0.85);
    if (canvas_err[0]) {
        snprintf(err, errlen, "%s: %s", path, canvas_err);
        plend1();
        return -1;
    }
    return 0;
}

void vm_plot_canvas_close(void) { plend1(); }

/* The first PLplot error since the canvas opened, or NULL. */
const char *vm_plot_canvas_error(void) { return canvas_err[0] ? canvas_err : NULL; }

void vm_plot_chain_colour(int c) { plcol0(VM_PLOT_C_CHAIN + c % VM_PLOT_NCHAINCOL); }

void vm_plot_grid(size_t n, int wide, int *cols, int *rows)
{
    int c = n <= 3 ? 1 : n <= 8 ? 2 : 3;
    if (!wide && n > 1) c = n <= 4 ? 2 : n <= 9 ? 3 : 4;
    *cols = c;
    *rows = (int)((n + (size_t)c - 1) / (size_t)c);
}

void vm_plot_text_size(int rows)
{
    plschr(0, rows <= 2 ? 0.9 : rows <= 4 ? 0.75 : 0.6);
}

void vm_plot_panel(double x0, double x1, double y0, double y1, const char *xlab, const char *ylab,
                   const char *title)
{
    plcol0(VM_PLOT_C_FG);
    plenv(x0, x1, y0, y1, 0, 0);
    pllab(xlab, ylab, title);
}

void vm_plot_line(size_t n, const double *x, const double *y)
{
    /* PLplot would join a NaN or an infinity into the path: draw the finite runs */
    size_t a = 0;
    while (a < n) {
        while (a < n && !(isfinite(x[a]) && isfinite(y[a]))) a++;
        size_t b = a;
        while (b < n && isfinite(x[b]) && isfinite(y[b])) b++;
        if (b - a >= 2) plline((PLINT)(b - a), x + a, y + a);
        a = b;
    }
}

void vm_plot_rect(double x0, double x1, double y0, double y1)
{
    PLFLT x[4] = {x0, x1, x1, x0}, y[4] = {y0, y0, y1, y1};
    plfill(4, x, y);
}

void vm_plot_chain_legend(const VmPlotDraws *d, size_t npanels, int cols, int rows)
{
    /* in the next subpage when the grid has one to spare, so that it hides no data */
    if (d->nchain < 2 || npanels >= (size_t)cols * (size_t)rows) return;
    enum { MAXC = 16 };
    int n = d->nchain < MAXC ? d->nchain : MAXC;
    PLINT opt[MAXC], tcol[MAXC], lcol[MAXC], lsty[MAXC], none[MAXC];
    PLFLT lw[MAXC], ones[MAXC];
    PLCHAR_VECTOR text[MAXC], sym[MAXC];
    char lab[MAXC][24];
    for (int c = 0; c < n; c++) {
        opt[c] = PL_LEGEND_LINE;
        tcol[c] = VM_PLOT_C_FG;
        lcol[c] = VM_PLOT_C_CHAIN + c % VM_PLOT_NCHAINCOL;
        lsty[c] = 1;
        none[c] = 0;
        lw[c] = 2;
        ones[c] = 1;
        snprintf(lab[c], sizeof lab[c], "chain %d", c + 1);
        text[c] = lab[c];
        sym[c] = "";
    }
    pladv(0);
    plvpor(0.1, 0.9, 0.1, 0.9);
    plwind(0, 1, 0, 1);
    PLFLT w, h;
    pllegend(&w, &h, 0, PL_POSITION_LEFT | PL_POSITION_TOP | PL_POSITION_INSIDE, 0.02, 0.02, 0.15,
             VM_PLOT_C_BG, VM_PLOT_C_FG, 1, 0, 0, n, opt, 1.0, 1.0, 2.0, 0.0, tcol, text, none, none,
             ones, lw, lcol, lsty, lw, none, ones, none, sym);
}
