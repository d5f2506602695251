# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# bench/plot.gp - draws bench/results.png from the data bench/report.py writes.
#   gnuplot -e "datadir='build/bench'; outfile='bench/results.png'" bench/plot.gp
if (!exists("datadir")) datadir = 'build/bench'
if (!exists("outfile")) outfile = 'bench/results.png'

set terminal pngcairo size 2000,520 font "sans,10" noenhanced
set output outfile
set multiplot layout 1,4 title "isagate benchmark (veth, generator + router + sink on one core)"

# 1: packets per second per scenario, median with min-max bars (or, without
# live rates, net ns per packet: report.py's main.gp sets the title)
maintitle = "Delivered Mpps (median, min–max over rounds)"
mainn = 7
load datadir.'/main.gp'
set title maintitle
set style fill solid 0.6 border -1
set boxwidth 0.6
set yrange [0:*]
set xrange [-0.6:mainn - 0.4]
set xtics rotate by -30 nomirror
set grid ytics
unset key
plot datadir.'/main.dat' using 1:3:xtic(2) with boxes lc rgb "#4472c4", \
     '' using 1:3:4:5 with yerrorbars lc rgb "black" pt 0 lw 1.5

# 2 and 3: per-packet cost against scale
set style data linespoints
set logscale x
set key top left
set xtics norotate
set autoscale x
set yrange [0:*]
set ylabel "net ns per packet (test_run repeat)"
set title "Per-packet cost vs. members"
set xlabel "members in the table"
plot datadir.'/members.dat' using 1:2 title "decap" lw 2 pt 7, \
     '' using 1:3 title "encap" lw 2 pt 5, \
     '' using 1:4 title "non-member drop" lw 2 pt 9
set title "Per-packet cost vs. flows"
set xlabel "distinct flows"
plot datadir.'/flows.dat' using 1:2 title "decap" lw 2 pt 7, \
     '' using 1:3 title "encap" lw 2 pt 5, \
     '' using 1:4 title "non-member drop" lw 2 pt 9, \
     '' using 1:5 title "ref_route (fib lookup)" lw 2 pt 3 dt 2
set title "Decap, flow cache, destinations behind 100 routes"
set xlabel "distinct destinations"
plot datadir.'/routes.dat' using 1:2 title "route mirror" lw 2 pt 7, \
     '' using 1:3 title "FIB lookups (watch --no-route-mirror)" lw 2 pt 5
unset multiplot
