"""Helpers of bench/stan_survey.sh (python3, standard library only).

  survey_tools.py dump DATA.json OUT.R      the data in Stan's R dump format (column-major)
  survey_tools.py points DIM OUT           4 points: bench_plan_survey's, then 3 others
  survey_tools.py compare STAN_OUT VRUN_JSON...
                                           the largest relative difference between Stan's
                                           and vmod's log density differences from the
                                           first point and gradients
"""
import json, math, sys


def rnum(x):
    if isinstance(x, bool):
        return str(int(x))
    if isinstance(x, int):
        return str(x)
    r = repr(float(x))
    return r if ('.' in r or 'e' in r or 'n' in r) else r + '.0'


def shape_of(v):
    s = []
    while isinstance(v, list):
        s.append(len(v))
        v = v[0] if v else None
    return s


def flat_colmajor(v, shape):
    out = []
    def at(idx):
        x = v
        for i in idx:
            x = x[i]
        return x
    n = 1
    for d in shape:
        n *= d
    for lin in range(n):                      # first index fastest
        idx, r = [], lin
        for d in shape:
            idx.append(r % d)
            r //= d
        out.append(at(idx))
    return out


def dump(src, dst):
    d = json.load(open(src))
    with open(dst, 'w') as f:
        for k, v in d.items():
            if not isinstance(v, list):
                f.write('%s <- %s\n' % (k, rnum(v)))
                continue
            shape = shape_of(v)
            vals = flat_colmajor(v, shape)
            isint = all(isinstance(x, int) for x in vals)
            body = 'c(%s)' % ', '.join(str(x) if isint else rnum(x) for x in vals)
            if len(shape) == 1:
                f.write('%s <- %s\n' % (k, body))
            else:
                f.write('%s <- structure(%s, .Dim = c(%s))\n' % (k, body, ', '.join(map(str, shape))))


def points(dim, dst):
    pts = [[0.1 * ((j % 7) - 3) / 3.0 for j in range(dim)]]
    for k in range(1, 4):
        pts.append([0.3 * math.sin(0.7 * j + 1.3 * k) for j in range(dim)])
    with open(dst, 'w') as f:
        f.write('%d %d\n' % (len(pts), dim))
        for p in pts:
            f.write(' '.join(repr(x) for x in p) + '\n')
    for k, p in enumerate(pts):
        json.dump(p, open('%s.%d.json' % (dst, k), 'w'))


def compare(stan_out, vruns):
    s = [list(map(float, l.split())) for l in open(stan_out) if l.strip() and not l.startswith('us ')]
    v = [json.load(open(f)) for f in vruns]
    err = 0.0
    for k, (sk, vk) in enumerate(zip(s, v)):
        ds, dv = sk[0] - s[0][0], vk['lp'] - v[0]['lp']
        err = max(err, abs(ds - dv) / max(1.0, abs(dv)))
        for a, b in zip(sk[1:], vk['gradient']):
            err = max(err, abs(a - b) / max(1.0, abs(b)))
        if len(sk) - 1 != len(vk['gradient']):
            err = float('inf')
    print('%.1e' % err)


if __name__ == '__main__':
    c = sys.argv[1]
    if c == 'dump':
        dump(sys.argv[2], sys.argv[3])
    elif c == 'points':
        points(int(sys.argv[2]), sys.argv[3])
    elif c == 'compare':
        compare(sys.argv[2], sys.argv[3:])
