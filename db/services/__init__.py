"""Business rules shared by the GraphQL resolvers and the CLI; each function takes an AsyncSession."""
