# Plots of a bench run, drawn by `go run ./bench --plot DIR` (or --from FILE --plot DIR).
# Inputs, set with -e: datafile (columns: conns, then req/s and p99 ms of direct,
# relay, relay-norecord) and outdir.
set terminal pngcairo size 800,480 font "sans,11"
set datafile separator "\t"
set key top left
set grid
set logscale x 2
set xtics ("1" 1, "16" 16, "128" 128)
set xlabel "concurrent connections"
set xrange [0.7:180]

set output outdir."/bench-throughput.png"
set title "hookrelay: 1 KiB webhook POST, requests per second (2 cores, loopback)"
set ylabel "requests / second"
set yrange [0:*]
plot datafile using 1:2 with linespoints lw 2 pt 7 title "direct", \
     datafile using 1:3 with linespoints lw 2 pt 5 title "relay (recording)", \
     datafile using 1:4 with linespoints lw 2 pt 9 title "relay (--no-record)"

set output outdir."/bench-latency.png"
set title "hookrelay: 1 KiB webhook POST, p99 latency"
set ylabel "p99 latency (ms)"
set logscale y 10
set yrange [*:*]
set key top left
plot datafile using 1:5 with linespoints lw 2 pt 7 title "direct", \
     datafile using 1:6 with linespoints lw 2 pt 5 title "relay (recording)", \
     datafile using 1:7 with linespoints lw 2 pt 9 title "relay (--no-record)"
