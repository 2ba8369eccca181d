/** One name space for persons, organizations and teams (spec §4): the `type` column of `accounts`. */
export enum AccountType {
  Person = 1,
  Organization = 2,
  Team = 3,
}
