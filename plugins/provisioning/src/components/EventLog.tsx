import { CSSProperties, memo, useLayoutEffect, useRef } from 'react';
import { FixedSizeList, ListOnScrollProps } from 'react-window';
import Box from '@mui/material/Box';
import Link from '@mui/material/Link';
import Typography from '@mui/material/Typography';
import type { ProvisioningEvent } from '@konductor/plugin-provisioning-common';
import { colourOf } from './status';

const ROW = 26;
const HEIGHT = 320;

/** Local wall-clock time with milliseconds: events are often milliseconds apart. */
const time = (iso: string) => {
  const d = new Date(iso);
  return `${d.toTimeString().slice(0, 8)}.${String(
    d.getMilliseconds(),
  ).padStart(3, '0')}`;
};

const URL = /(https?:\/\/[^\s()]+)/;

/** A message with its web addresses as links (a pull request a run waits for, for example). */
const withLinks = (message: string) =>
  message.split(URL).map((part, i) =>
    i % 2 ? (
      <Link key={i} href={part} target="_blank" rel="noopener noreferrer">
        {part}
      </Link>
    ) : (
      part
    ),
  );

type RowProps = {
  index: number;
  style: CSSProperties;
  data: ProvisioningEvent[];
};

/** A row shows the same event at the same place (the log only grows, so most rows stay). */
const sameRow = (a: RowProps, b: RowProps) =>
  a.data[a.index] === b.data[b.index] &&
  a.style.top === b.style.top &&
  a.style.height === b.style.height &&
  a.style.width === b.style.width;

/** One event of the log. */
function EventRow({ index, style, data }: RowProps) {
  const e = data[index];
  return (
    <Box
      style={style}
      role="row"
      data-seq={e.seq}
      sx={{
        display: 'flex',
        alignItems: 'center',
        gap: 1.5,
        px: 1.5,
        fontFamily: 'monospace',
        fontSize: 13,
        whiteSpace: 'nowrap',
        borderBottom: '1px solid',
        borderColor: 'divider',
      }}
    >
      <Box component="span" sx={{ color: 'text.secondary', minWidth: 92 }}>
        {time(e.at)}
      </Box>
      <Box
        component="span"
        sx={{ color: colourOf(e.status), fontWeight: 700, minWidth: 110 }}
      >
        {e.status}
      </Box>
      <Box
        component="span"
        sx={{ overflow: 'hidden', textOverflow: 'ellipsis' }}
      >
        {withLinks(e.message)}
        {e.error && e.error !== e.message ? ` (${e.error})` : ''}
      </Box>
    </Box>
  );
}

/** A row renders once, not again when later events arrive. */
const Row = memo(EventRow, sameRow);

/**
 * The run's event log. Only the visible rows are in the DOM, so a run with thousands of events
 * stays fast. It follows the tail while scrolled to the bottom; scrolling up stops following and
 * scrolling back down resumes it.
 */
function EventList(props: { events: ProvisioningEvent[] }) {
  const { events } = props;
  const list = useRef<FixedSizeList>(null);
  const following = useRef(true);

  useLayoutEffect(() => {
    if (following.current && events.length)
      list.current?.scrollToItem(events.length - 1, 'end');
  }, [events.length]);

  const onScroll = ({
    scrollOffset,
    scrollUpdateWasRequested,
  }: ListOnScrollProps) => {
    if (scrollUpdateWasRequested) return;
    following.current = scrollOffset + HEIGHT >= events.length * ROW - ROW;
  };

  if (!events.length)
    return (
      <Typography color="text.secondary" sx={{ p: 2 }}>
        No events yet: the run has been registered and is about to start.
      </Typography>
    );

  return (
    <Box role="table" aria-label="Event log" aria-rowcount={events.length}>
      <FixedSizeList
        ref={list}
        height={Math.min(HEIGHT, events.length * ROW + 2)}
        width="100%"
        itemCount={events.length}
        itemSize={ROW}
        // A log opened late starts at its newest events, following: the list reports its first
        // offset as a scroll, which at the top would stop the following before it began.
        initialScrollOffset={Math.max(0, events.length * ROW - HEIGHT)}
        onScroll={onScroll}
        overscanCount={10}
        itemData={events}
      >
        {Row}
      </FixedSizeList>
    </Box>
  );
}

/** The log re-renders only when an event arrives. */
export const EventLog = memo(EventList);
