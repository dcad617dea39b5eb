import { fireEvent, render, screen } from '@testing-library/react';
import {
  ComplianceLevelField,
  validateComplianceLevel,
} from './ComplianceLevelField';

describe('ComplianceLevelField', () => {
  it('explains what each level requires and reports the choice', () => {
    const onChange = jest.fn();
    render(
      <ComplianceLevelField
        {...({
          formData: 'moderate',
          onChange,
          schema: { title: 'Compliance level' },
          idSchema: { $id: 'level' },
        } as any)}
      />,
    );
    expect(screen.getByRole('radio', { name: /Moderate/ })).toBeChecked();
    expect(
      screen.getByText(
        'Database backups retained long enough: at least 14 days (CP-9)',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'Database backups retained long enough: at least 1 day (CP-9)',
      ),
    ).toBeInTheDocument();
    fireEvent.click(screen.getByRole('radio', { name: /High/ }));
    expect(onChange).toHaveBeenCalledWith('high');
  });

  it('refuses a level that does not exist', () => {
    const messages: string[] = [];
    validateComplianceLevel('extreme', { addError: m => messages.push(m) });
    expect(messages).toEqual(['must be one of low, moderate, high']);
  });
});
