import { makeStyles } from '@material-ui/core';

const useStyles = makeStyles({
  mark: {
    display: 'inline-flex',
    alignItems: 'center',
    justifyContent: 'center',
    width: 30,
    height: 30,
    borderRadius: 6,
    border: '2px solid #7df3e1',
    color: '#7df3e1',
    fontSize: 18,
    fontWeight: 700,
  },
});

/** Konductor's mark, shown in the collapsed sidebar. */
export const LogoIcon = () => {
  const classes = useStyles();
  return (
    <span className={classes.mark} aria-hidden>
      K
    </span>
  );
};
