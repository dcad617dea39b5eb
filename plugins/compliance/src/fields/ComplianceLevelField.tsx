import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import {
  CONTROLS,
  LEVELS,
  Level,
  stackRequirements,
} from '@konductor/plugin-compliance-common';
import Box from '@mui/material/Box';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormHelperText from '@mui/material/FormHelperText';
import FormLabel from '@mui/material/FormLabel';
import Radio from '@mui/material/Radio';
import RadioGroup from '@mui/material/RadioGroup';
import Typography from '@mui/material/Typography';

const TITLES: Record<Level, string> = {
  low: 'Low (FISMA Low baseline)',
  moderate: 'Moderate (FISMA Moderate baseline)',
  high: 'High (FISMA High baseline)',
};

/**
 * `KonductorComplianceLevel`: the FISMA level a stack is held to, each option with what it
 * requires of the stack (the checks the compliance gate runs at that level, with their
 * thresholds). The stack action's schema accepts only these levels.
 */
export function ComplianceLevelField(
  props: FieldExtensionComponentProps<string>,
) {
  const { formData, onChange, schema, rawErrors, idSchema } = props;
  const value = (formData ?? schema.default ?? 'moderate') as Level;
  const controls = (level: Level) =>
    Object.values(CONTROLS).filter(c => c.baselines.includes(level)).length;
  return (
    <Box component="fieldset" sx={{ border: 0, p: 0, my: 1 }}>
      <FormLabel component="legend" id={`${idSchema.$id}-label`}>
        {schema.title ?? 'Compliance level'}
      </FormLabel>
      <RadioGroup
        aria-labelledby={`${idSchema.$id}-label`}
        value={value}
        onChange={e => onChange(e.target.value)}
      >
        {LEVELS.map(level => (
          <Box key={level} sx={{ mb: 1 }}>
            <FormControlLabel
              value={level}
              control={<Radio />}
              label={TITLES[level]}
            />
            <Typography
              variant="body2"
              color="text.secondary"
              sx={{ ml: 4 }}
              component="div"
            >
              {controls(level)} of Konductor's controls apply. The stack must
              have:
              <Box component="ul" sx={{ my: 0.5, pl: 2 }}>
                {stackRequirements(level).map(r => (
                  <li key={r}>{r}</li>
                ))}
              </Box>
            </Typography>
          </Box>
        ))}
      </RadioGroup>
      {rawErrors?.[0] && <FormHelperText error>{rawErrors[0]}</FormHelperText>}
    </Box>
  );
}

/** Client-side: one of the levels. */
export function validateComplianceLevel(
  value: string | undefined,
  validation: { addError(message: string): void },
) {
  if (value && !(LEVELS as readonly string[]).includes(value))
    validation.addError(`must be one of ${LEVELS.join(', ')}`);
}
