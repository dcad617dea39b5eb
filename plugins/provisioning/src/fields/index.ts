import {
  FormFieldBlueprint,
  createFormField,
} from '@backstage/plugin-scaffolder-react/alpha';

/**
 * The scaffolder form fields of provisioning: stack summary, sizes, AWS location, stack name,
 * repository, expiry, the review's readable names, and the typed confirmation of a destructive
 * request.
 */
export const provisioningFormFields = [
  FormFieldBlueprint.make({
    name: 'stack-summary',
    params: {
      field: () =>
        import('./StackSummaryField').then(m =>
          createFormField({
            name: 'KonductorStackSummary',
            component: m.StackSummaryField,
            validation: m.validateStackSummary,
          }),
        ),
    },
  }),
  FormFieldBlueprint.make({
    name: 'instance-size',
    params: {
      field: () =>
        import('./InstanceSizeField').then(m =>
          createFormField({
            name: 'KonductorInstanceSize',
            component: m.InstanceSizeField,
            validation: m.validateInstanceSize as any,
          }),
        ),
    },
  }),
  FormFieldBlueprint.make({
    name: 'aws-location',
    params: {
      field: () =>
        import('./AwsLocationField').then(m =>
          createFormField({
            name: 'KonductorAwsLocation',
            component: m.AwsLocationField,
            validation: m.validateAwsLocation,
          }),
        ),
    },
  }),
  FormFieldBlueprint.make({
    name: 'stack-name',
    params: {
      field: () =>
        import('./StackNameField').then(m =>
          createFormField({
            name: 'KonductorStackName',
            component: m.StackNameField,
            validation: m.validateStackName as any,
          }),
        ),
    },
  }),
  FormFieldBlueprint.make({
    name: 'repo-name',
    params: {
      field: () =>
        import('./RepoNameField').then(m =>
          createFormField({
            name: 'KonductorRepoName',
            component: m.RepoNameField,
            validation: m.validateRepoName as any,
          }),
        ),
    },
  }),
  FormFieldBlueprint.make({
    name: 'stack-expiry',
    params: {
      field: () =>
        import('./ExpiryField').then(m =>
          createFormField({
            name: 'KonductorStackExpiry',
            component: m.ExpiryField,
            validation: m.validateExpiry as any,
          }),
        ),
    },
  }),
  FormFieldBlueprint.make({
    name: 'review-names',
    params: {
      field: () =>
        import('./ReviewNamesField').then(m =>
          createFormField({
            name: 'KonductorReviewNames',
            component: m.ReviewNamesField,
          }),
        ),
    },
  }),
  FormFieldBlueprint.make({
    name: 'typed-confirmation',
    params: {
      field: () =>
        import('./TypedConfirmationField').then(m =>
          createFormField({
            name: 'KonductorTypedConfirmation',
            component: m.TypedConfirmationField,
            validation: m.validateTypedConfirmation as any,
          }),
        ),
    },
  }),
];
