# Convergence time against the number of peers, one line per reflector, for the calico rows
# of a bench/compare.sh run. bench/report.py writes the data and runs this script:
#
#   gnuplot -e "datafile='compare-calico.dat'; outbase='compare-calico'; ncols=7; \
#               subtitle='...'; colors='#7b3294 ...'; dashes='1 ...'" bench/plot.gp
#
# The data: a header line of column names (peers, then one per reflector), then one line per
# size; NaN where a run timed out or failed. Writes outbase.png and outbase.svg.

if (!exists("datafile")) datafile = 'compare-calico.dat'
if (!exists("outbase")) outbase = 'compare-calico'
if (!exists("ncols")) ncols = 2
if (!exists("subtitle")) subtitle = ''
# one colour and one dash type per data column after the first
if (!exists("colors")) colors = "#7b3294 #1b9e77 #377eb8 #e6ab02 #d7191c #000000"
if (!exists("dashes")) dashes = "1 1 1 1 1 2"

set title "Calico: convergence time against peers (4 routes each)\n{/*0.8 ".subtitle."}"
set xlabel "peers (each feeds 4 /26s and listens to everyone else's)"
set ylabel "time until every peer holds every route (s)"
set logscale xy
set grid xtics ytics mxtics mytics lc rgb "#dddddd"
set key top left box opaque
set datafile missing "NaN"
set style data linespoints
set pointsize 1.2

set terminal pngcairo size 900,560 enhanced font "sans,10"
set output outbase.".png"
plot for [i=2:ncols] datafile using 1:i title columnheader(i) lw 2 \
	lc rgb word(colors, i - 1) dt int(word(dashes, i - 1))
unset output

set terminal svg size 900,560 enhanced font "sans,10" background rgb "white"
set output outbase.".svg"
plot for [i=2:ncols] datafile using 1:i title columnheader(i) lw 2 \
	lc rgb word(colors, i - 1) dt int(word(dashes, i - 1))
unset output
