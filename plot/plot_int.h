/* Private to plot/: the canvas (one PLplot stream writing one file), the colours, the
 * panel grid, and one drawing function per kind. */
#ifndef VM_PLOT_INT_H
#define VM_PLOT_INT_H

#include <stddef.h>
#include "plot/plot.h"

/* cmap0 entries set by vm_plot_canvas_open */
enum {
    VM_PLOT_C_BG = 0, VM_PLOT_C_FG = 1, VM_PLOT_C_GRAY = 2,
    VM_PLOT_C_RED = 3,         /* divergent transitions only: nothing else is red */
    VM_PLOT_C_POINT = 4,       /* pairs: non-divergent draws */
    VM_PLOT_C_SHADE = 5,       /* light fill (the ELBO's averaging window) */
    VM_PLOT_C_LIGHT = 6,       /* faint lines under the main ones */
    VM_PLOT_C_CHAIN = 7        /* VM_PLOT_NCHAINCOL chain colours from here */
};
#define VM_PLOT_NCHAINCOL 8

/* What a kind draws from: the draws and the chosen columns. */
typedef struct VmPlotJob {
    const VmPlotDraws *d;
    const size_t *col;
    size_t ncol;
    int width, height;
} VmPlotJob;

/* Start a PLplot stream drawing into path (PNG or SVG, w x h).  PLplot closes the
 * file itself at vm_plot_canvas_close.  0, or -1 with err. */
int vm_plot_canvas_open(const char *path, int svg, int w, int h, char *err, size_t errlen);
void vm_plot_canvas_close(void);
/* The first PLplot error since the canvas opened, or NULL. */
const char *vm_plot_canvas_error(void);
/* The colour of chain c (cycles through VM_PLOT_NCHAINCOL entries). */
void vm_plot_chain_colour(int c);
/* A grid of n panels: columns and rows, panels wider than tall. */
void vm_plot_grid(size_t n, int wide, int *cols, int *rows);
/* Text size for a page of `rows` rows of panels. */
void vm_plot_text_size(int rows);
/* Draw the box and labels of the current panel (after plenv-like set-up). */
void vm_plot_panel(double x0, double x1, double y0, double y1, const char *xlab, const char *ylab,
                   const char *title);

/* Lines labelled chain 1, chain 2 ... in a spare panel of a cols x rows grid (none
 * when the grid is full or there is one chain). */
void vm_plot_chain_legend(const VmPlotDraws *d, size_t npanels, int cols, int rows);
/* A polyline through the finite points only (PLplot draws NaN into the path). */
void vm_plot_line(size_t n, const double *x, const double *y);
/* A filled rectangle in the current colour. */
void vm_plot_rect(double x0, double x1, double y0, double y1);

/* One function per kind (trace.c ...): draws on the open canvas; 0, or -1 with err. */
int vm_plot_trace(const VmPlotJob *j, char *err, size_t errlen);
int vm_plot_rank(const VmPlotJob *j, char *err, size_t errlen);
int vm_plot_density(const VmPlotJob *j, char *err, size_t errlen);
int vm_plot_pairs(const VmPlotJob *j, char *err, size_t errlen);
int vm_plot_energy(const VmPlotJob *j, char *err, size_t errlen);
int vm_plot_elbo(const VmPlotJob *j, char *err, size_t errlen);

/* DIR/index.html linking every file written. */
int vm_plot_index(const char *dir, const char *title, char *const *files, size_t nfiles,
                  char *err, size_t errlen);

#endif
