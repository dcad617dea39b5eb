import Box from '@mui/material/Box';
import Typography from '@mui/material/Typography';
import type { HistoryPoint } from '@konductor/plugin-compliance-common';

const W = 560;
const H = 120;
const PAD = 24;

/** The entity's score over time, a step line from each change to the next, up to now. */
export function ScoreHistory(props: {
  history: HistoryPoint[];
  now?: Date;
  /** What the chart shows, for its accessible name. */
  label?: string;
  /** Where the time axis starts (by default at the first point, an hour back at least). */
  from?: Date;
}) {
  const points = props.history.filter(
    (p): p is HistoryPoint & { score: number } => typeof p.score === 'number',
  );
  if (!points.length)
    return <Typography color="text.secondary">No history yet.</Typography>;
  const end = (props.now ?? new Date()).getTime();
  const start =
    props.from?.getTime() ?? Math.min(Date.parse(points[0].at), end - 3600_000);
  const x = (t: number) => PAD + ((t - start) / (end - start)) * (W - 2 * PAD);
  const y = (s: number) => H - PAD - (s / 100) * (H - 2 * PAD);
  let d = '';
  points.forEach((p, i) => {
    const t = Date.parse(p.at);
    d += i === 0 ? `M${x(t)},${y(p.score)}` : `H${x(t)}V${y(p.score)}`;
  });
  d += `H${x(end)}`;
  const last = points[points.length - 1];
  return (
    <Box>
      <svg
        role="img"
        aria-label={`${props.label ?? 'Score history'}: ${points
          .map(p => `${p.score}% on ${p.at.slice(0, 10)}`)
          .join(', ')}`}
        viewBox={`0 0 ${W} ${H}`}
        width="100%"
        style={{ maxWidth: W }}
      >
        {[0, 50, 100].map(s => (
          <g key={s}>
            <line x1={PAD} x2={W - PAD} y1={y(s)} y2={y(s)} stroke="#ddd" />
            <text x={2} y={y(s) + 4} fontSize="10" fill="#777">
              {s}
            </text>
          </g>
        ))}
        <path d={d} fill="none" stroke="#1f5493" strokeWidth={2} />
        {points.map(p => (
          <circle
            key={p.at}
            cx={x(Date.parse(p.at))}
            cy={y(p.score)}
            r={3}
            fill="#1f5493"
          />
        ))}
      </svg>
      <Typography variant="caption" color="text.secondary">
        Since {new Date(points[0].at).toLocaleDateString()}: {points[0].score}%
        to {last.score}%
      </Typography>
    </Box>
  );
}
