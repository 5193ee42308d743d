import type { EntityTypeDef, WorkspaceSchema } from '@enclave/shared';

const client: EntityTypeDef = {
  key: 'client',
  label: 'Client',
  pluralLabel: 'Clients',
  titleField: 'name',
  fields: [
    { key: 'name', label: 'Name', type: 'text', required: true, indexed: true, sensitivity: 'normal' },
    { key: 'email', label: 'Email', type: 'email', required: false, indexed: true, sensitivity: 'pii' },
    { key: 'phone', label: 'Phone', type: 'phone', required: false, indexed: false, sensitivity: 'pii' },
    {
      key: 'status',
      label: 'Status',
      type: 'enum',
      required: true,
      indexed: true,
      sensitivity: 'normal',
      options: ['lead', 'active', 'inactive'],
    },
    {
      key: 'since',
      label: 'Client since',
      type: 'date',
      required: false,
      indexed: false,
      sensitivity: 'normal',
    },
    { key: 'notes', label: 'Notes', type: 'longText', required: false, indexed: false, sensitivity: 'pii' },
    { key: 'tax_id', label: 'Tax id', type: 'text', required: false, indexed: false, sensitivity: 'secret' },
  ],
};

const invoice: EntityTypeDef = {
  key: 'invoice',
  label: 'Invoice',
  pluralLabel: 'Invoices',
  titleField: 'number',
  fields: [
    { key: 'number', label: 'Number', type: 'text', required: true, indexed: true, sensitivity: 'normal' },
    {
      key: 'client',
      label: 'Client',
      type: 'reference',
      refType: 'client',
      required: true,
      indexed: true,
      sensitivity: 'normal',
    },
    {
      key: 'amount',
      label: 'Amount',
      type: 'money',
      currency: 'EUR',
      required: true,
      indexed: true,
      sensitivity: 'normal',
    },
    {
      key: 'issued_on',
      label: 'Issued on',
      type: 'date',
      required: true,
      indexed: true,
      sensitivity: 'normal',
    },
    { key: 'due_on', label: 'Due on', type: 'date', required: false, indexed: true, sensitivity: 'normal' },
    {
      key: 'status',
      label: 'Status',
      type: 'enum',
      required: true,
      indexed: true,
      sensitivity: 'normal',
      options: ['draft', 'sent', 'paid', 'void'],
    },
    { key: 'paid', label: 'Paid', type: 'boolean', required: false, indexed: false, sensitivity: 'normal' },
  ],
};

const ticket: EntityTypeDef = {
  key: 'ticket',
  label: 'Ticket',
  pluralLabel: 'Tickets',
  titleField: 'subject',
  fields: [
    { key: 'subject', label: 'Subject', type: 'text', required: true, indexed: true, sensitivity: 'normal' },
    {
      key: 'client',
      label: 'Client',
      type: 'reference',
      refType: 'client',
      required: false,
      indexed: true,
      sensitivity: 'normal',
    },
    {
      key: 'body',
      label: 'Description',
      type: 'longText',
      required: false,
      indexed: false,
      sensitivity: 'pii',
    },
    {
      key: 'priority',
      label: 'Priority',
      type: 'enum',
      required: true,
      indexed: true,
      sensitivity: 'normal',
      options: ['low', 'normal', 'high', 'urgent'],
    },
    {
      key: 'status',
      label: 'Status',
      type: 'enum',
      required: true,
      indexed: true,
      sensitivity: 'normal',
      options: ['open', 'pending', 'closed'],
    },
    {
      key: 'estimate_hours',
      label: 'Estimate (hours)',
      type: 'number',
      required: false,
      indexed: false,
      sensitivity: 'normal',
    },
  ],
};

/** What a new workspace starts with, so that it is useful at once. */
export const templates: Record<'standard' | 'empty', WorkspaceSchema> = {
  standard: { version: 1, entityTypes: [client, invoice, ticket] },
  empty: { version: 1, entityTypes: [] },
};
