// A client written against the generated types, type-checked by tsc in
// scripts/codegen-check.sh. The types must say what the schema says: a
// misspelt enum value, a field the operation did not select or a nullable
// field used as if it were not is an error, and each @ts-expect-error below
// fails the check if the error it expects is not there.
import type {
  FileDisputeMutation,
  FileDisputeMutationVariables,
  HomeScreenQuery,
  RequestType,
} from "./generated/operations";
import type { Me, RetentionState } from "./generated/schema";

export const dispute: FileDisputeMutationVariables = {
  input: {
    type: "DISPUTE",
    scope: { categories: ["applicant.name"] },
    reason: "이름이 틀렸습니다",
    idempotencyKey: "codegen-check-0001",
  },
};

// @ts-expect-error: not a RequestType
export const wrongType: RequestType = "DELETE_EVERYTHING";

// @ts-expect-error: idempotencyKey is required
export const noKey: FileDisputeMutationVariables = { input: { type: "ACCESS" } };

export function purgeDates(home: HomeScreenQuery): string[] {
  // @ts-expect-error: me is null when the token is refused (policy still answers)
  void home.me.id;
  return (home.me?.holdings ?? []).map((h) => `${h.category.code}: ${h.retention.purgeAfter ?? "while needed"}`);
}

export function filedId(res: FileDisputeMutation): string {
  // @ts-expect-error: the operation did not select reason
  void res.fileRequest.reason;
  return res.fileRequest.id;
}

// The schema's own types, from the typescript plugin.
export const gone: RetentionState = "DUE";
export function holdingCount(me: Pick<Me, "holdings">): number {
  return me.holdings.length;
}
