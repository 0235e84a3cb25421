import { expect, it } from 'vitest';
import { rowsInOrder } from '../../hub/couch/couch.ts';

it("matches a _bulk_docs answer's rows to the documents by id, in the documents' order", () => {
  const docs = [{ _id: 'a' }, { _id: 'b' }, { _id: 'c' }];
  const rows = [{ id: 'c', error: 'conflict' }, { id: 'a', rev: '1-a' }, { id: 'b', rev: '1-b' }];
  expect(rowsInOrder(docs, rows)).toEqual([{ id: 'a', rev: '1-a' }, { id: 'b', rev: '1-b' }, { id: 'c', error: 'conflict' }]);
});

it('gives the same id twice its rows in the order they came, and fails on a document the answer left out', () => {
  const rows = [{ id: 'x', rev: '1-x' }, { id: 'y', rev: '1-y' }, { id: 'x', error: 'conflict' }];
  expect(rowsInOrder([{ _id: 'x' }, { _id: 'x' }, { _id: 'y' }], rows)).toEqual([{ id: 'x', rev: '1-x' }, { id: 'x', error: 'conflict' }, { id: 'y', rev: '1-y' }]);
  expect(() => rowsInOrder([{ _id: 'x' }, { _id: 'z' }], [{ id: 'x', rev: '1-x' }])).toThrow(/nothing for z/);
});
