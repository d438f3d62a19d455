# The data of bench/survey/*.vmod (bench_plan_survey): python3 make_data.py, fixed seeds.
import json, math, random
random.seed(1)
N, K, J = 500, 5, 10
X = [[round(random.gauss(0, 1), 4) for k in range(K)] for n in range(N)]
g = [random.randint(1, J) for n in range(N)]
beta = [random.gauss(0, 1) for k in range(K)]
al = [random.gauss(0, 1) for j in range(J)]
y = [round(al[g[n] - 1] + sum(X[n][k] * beta[k] for k in range(K)) + random.gauss(0, 0.5), 4) for n in range(N)]
yb = [1 if random.random() < 1 / (1 + math.exp(-sum(X[n][k] * beta[k] for k in range(K)))) else 0 for n in range(N)]
ym = [round(random.gauss(-2, 1) if random.random() < 0.4 else random.gauss(2, 1), 4) for n in range(N)]
json.dump(dict(N=N, K=K, J=J, X=X, g=g, y=y), open('rows_loop.json', 'w'))
json.dump(dict(N=N, K=K, X=X, yb=yb), open('logit_dot.json', 'w'))
json.dump(dict(N=N, K=K, X=X, y=y), open('function_vector.json', 'w'))
json.dump(dict(N=N, y=y), open('while_loop.json', 'w'))
json.dump(dict(N=N, C=3, ym=ym), open('mixture_k.json', 'w'))
json.dump(dict(N=N, C=3, ym=ym), open('mixture_function.json', 'w'))
random.seed(5)
D = [random.choice([4, 5, 3, 6, 2]) if t < 40 else random.choice([0, 1, 1, 2]) for t in range(112)]
json.dump(dict(T=112, D=D, r_e=0.5, r_l=0.5), open('change_point.json', 'w'))
random.seed(7)
yh = [round(random.gauss([-1, 1, 3][random.randrange(3)], 1), 4) for t in range(300)]
json.dump(dict(N=300, K=3, y=yh), open('hmm_function.json', 'w'))
random.seed(3)
N, K, D = 500, 4, 5
x = [[round(random.gauss(0, 1), 3) for d in range(D)] for n in range(N)]
yc = [random.randint(1, K) for n in range(N)]
json.dump(dict(N=N, K=K, D=D, x=x, y=yc), open('multi_logit.json', 'w'))
random.seed(11)
N, K, D = 500, 4, 3
xo = [[round(random.gauss(0, 1), 3) for d in range(D)] for n in range(N)]
bo = [1.0, -0.5, 0.25]
cut = [-1.0, 0.0, 1.2]
def ord_draw(eta):
    u = random.random()
    for k, ck in enumerate(cut):
        if u < 1 / (1 + math.exp(-(ck - eta))): return k + 1
    return K
yo = [ord_draw(sum(a * b for a, b in zip(xo[n], bo))) for n in range(N)]
json.dump(dict(N=N, K=K, D=D, x=xo, y=yo), open('ordinal_dot.json', 'w'))
J = 6
gc = [random.randint(1, J) for n in range(N)]
yc2 = [random.choice([1, 1, 2, 3, 4, 4]) if gc[n] % 2 else random.choice([1, 2, 2, 3, 3, 4]) for n in range(N)]
json.dump(dict(N=N, K=K, J=J, y=yc2, g=gc), open('categorical_simplex.json', 'w'))
random.seed(13)
J, K = 200, 4
ym = [[round(random.gauss(k * 0.5, 1) + 0.5 * (random.gauss(0, 1) if k else 0), 4) for k in range(K)] for j in range(J)]
json.dump(dict(J=J, K=K, y=ym), open('mvn_loop.json', 'w'))
random.seed(17)
N, K, D = 500, 4, 5
xv = [[round(random.gauss(0, 1), 3) for d in range(D)] for n in range(N)]
yv = [random.randint(1, K) for n in range(N)]
json.dump(dict(N=N, K=K, D=D, x=xv, y=yv), open('multi_logit_mv.json', 'w'))
