import Box from '@mui/material/Box';
import { keyframes } from '@mui/material/styles';
import {
  ACTIVE_STATUSES,
  formatDuration,
  layersOf,
  NodeState,
} from '../runState';
import { colourOf } from './status';

const NODE_W = 190;
const NODE_H = 80;
const COL_GAP = 90;
const ROW_GAP = 28;
const PAD = 16;

const slide = keyframes`
  from { transform: translateX(-60px); }
  to { transform: translateX(${NODE_W}px); }
`;

/**
 * The run's resources as a graph: one column per dependency depth, an arrow from each resource to
 * what depends on it, nodes coloured by status. Active nodes show their elapsed time and a moving
 * bar; failed nodes show their error on hover.
 */
export function RunGraph(props: { nodes: NodeState[]; now: number }) {
  const status = new Map(props.nodes.map(n => [n.resource, n.status]));
  const layers = layersOf(props.nodes);
  const rows = Math.max(1, ...layers.map(l => l.length));
  const width =
    PAD * 2 + layers.length * NODE_W + (layers.length - 1) * COL_GAP;
  const height = PAD * 2 + rows * NODE_H + (rows - 1) * ROW_GAP;
  const position = new Map<string, { x: number; y: number }>();
  layers.forEach((layer, col) => {
    // Centre each column vertically so edges stay short.
    const offset = ((rows - layer.length) * (NODE_H + ROW_GAP)) / 2;
    layer.forEach((node, row) =>
      position.set(node.resource, {
        x: PAD + col * (NODE_W + COL_GAP),
        y: PAD + offset + row * (NODE_H + ROW_GAP),
      }),
    );
  });

  return (
    <Box sx={{ overflowX: 'auto' }}>
      <svg
        width={width}
        height={height}
        role="img"
        aria-label="Resource graph"
        style={{ display: 'block', fontFamily: 'inherit' }}
      >
        <defs>
          <marker
            id="konductor-arrow"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto-start-reverse"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" fill="#90a4ae" />
          </marker>
        </defs>
        {props.nodes.flatMap(node =>
          node.dependsOn
            .filter(dep => position.has(dep))
            .map(dep => {
              const from = position.get(dep)!;
              const to = position.get(node.resource)!;
              const x1 = from.x + NODE_W;
              const y1 = from.y + NODE_H / 2;
              const x2 = to.x - 2;
              const y2 = to.y + NODE_H / 2;
              const mid = (x1 + x2) / 2;
              return (
                <path
                  key={`${dep}->${node.resource}`}
                  data-edge={`${dep}->${node.resource}`}
                  d={`M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2} ${y2}`}
                  fill="none"
                  stroke="#90a4ae"
                  strokeWidth={2}
                  markerEnd="url(#konductor-arrow)"
                />
              );
            }),
        )}
        {props.nodes.map(node => (
          <GraphNode
            key={node.resource}
            node={node}
            blockedBy={node.dependsOn.filter(
              d => status.has(d) && status.get(d) !== 'ready',
            )}
            now={props.now}
            {...position.get(node.resource)!}
          />
        ))}
      </svg>
    </Box>
  );
}

/** The node's third line: what it waits for, or what the cloud says about it. */
function note(node: NodeState, blockedBy: string[]) {
  const text =
    node.status === 'queued' && blockedBy.length
      ? `after ${blockedBy.join(', ')}`
      : node.detail ?? '';
  return text.length > 28 ? `${text.slice(0, 27)}…` : text;
}

function GraphNode(props: {
  node: NodeState;
  /** Unfinished resources this one waits for. */
  blockedBy: string[];
  x: number;
  y: number;
  now: number;
}) {
  const { node, x, y, now } = props;
  const colour = colourOf(node.status);
  const active = ACTIVE_STATUSES.has(node.status);
  const elapsed =
    node.startedAt !== undefined
      ? (node.endedAt ?? (active ? now : node.startedAt)) - node.startedAt
      : undefined;
  const clip = `konductor-clip-${node.resource}`;
  return (
    <g
      transform={`translate(${x} ${y})`}
      role="group"
      aria-label={`${node.resource} ${node.status}`}
      data-status={node.status}
    >
      <title>
        {[node.resource, node.status, node.detail, node.error]
          .filter(Boolean)
          .join(': ')}
      </title>
      <clipPath id={clip}>
        <rect width={NODE_W} height={NODE_H} rx={8} />
      </clipPath>
      <rect
        width={NODE_W}
        height={NODE_H}
        rx={8}
        fill="#fff"
        stroke={colour}
        strokeWidth={active ? 3 : 2}
      />
      <rect
        width={8}
        height={NODE_H}
        fill={colour}
        clipPath={`url(#${clip})`}
      />
      <text x={20} y={26} fontSize={15} fontWeight={700} fill="#212121">
        {node.resource}
        {/* A named resource says its kind: orders-db · database. */}
        {node.kind && node.kind !== node.resource && (
          <tspan fontSize={12} fontWeight={400} fill="#616161">
            {` · ${node.kind}`}
          </tspan>
        )}
      </text>
      <text x={20} y={48} fontSize={13} fill={colour} fontWeight={600}>
        {node.status}
        {elapsed !== undefined && elapsed > 0
          ? ` · ${formatDuration(elapsed)}`
          : ''}
      </text>
      <text x={20} y={66} fontSize={11} fill="#616161">
        {note(node, props.blockedBy)}
      </text>
      {active && (
        <g clipPath={`url(#${clip})`}>
          <rect y={NODE_H - 5} width={NODE_W} height={5} fill={`${colour}33`} />
          <Box
            component="rect"
            y={NODE_H - 5}
            width={60}
            height={5}
            fill={colour}
            sx={{ animation: `${slide} 1.4s linear infinite` }}
          />
        </g>
      )}
    </g>
  );
}
