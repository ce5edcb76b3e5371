#!/usr/bin/env python3
"""Write a SYNTHETIC CEPII BACI file (t,i,j,k,v,q) for memory and speed
measurements of the streaming BACI reader. The values are made up (random), in
BACI's layout: Comtrade-style country codes, 6-digit products with leading zeros,
v in thousands of USD with three decimals, q right-aligned in 13 characters with
`NA` for about 3% of rows. About 0.1% of rows involve the DPRK (408).

Usage: make_synthetic_baci.py ROWS OUT.csv   (do not commit the output)
"""
import random
import sys

rows, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(20260101)
codes = [4, 8, 12, 32, 36, 40, 56, 76, 124, 152, 156, 251, 276, 344, 360, 381, 392, 410, 458,
         484, 528, 579, 608, 643, 699, 702, 710, 724, 752, 757, 764, 792, 826, 842, 704]
with open(out, "w") as f:
    f.write("t,i,j,k,v,q\n")
    buf = []
    for n in range(rows):
        i, j = rng.sample(codes, 2)
        if rng.random() < 0.001:
            if rng.random() < 0.5:
                i = 408
            else:
                j = 408
        k = f"{rng.randrange(10101, 970600):06d}"
        v = f"{rng.randrange(1, 50_000_000) / 1000:.3f}"
        q = "NA" if rng.random() < 0.03 else f"{rng.randrange(1, 9_000_000) / 1000:.3f}"
        buf.append(f"2020,{i},{j},{k},{v},{q:>13}\n")
        if len(buf) == 100_000:
            f.writelines(buf)
            buf.clear()
    f.writelines(buf)
