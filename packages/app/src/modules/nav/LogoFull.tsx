import { makeStyles } from '@material-ui/core';

const useStyles = makeStyles({
  text: {
    color: '#7df3e1',
    fontSize: 26,
    fontWeight: 700,
    letterSpacing: 0.5,
    whiteSpace: 'nowrap',
  },
});

/** Konductor's wordmark, shown in the open sidebar. */
export const LogoFull = () => {
  const classes = useStyles();
  return <span className={classes.text}>Konductor</span>;
};
