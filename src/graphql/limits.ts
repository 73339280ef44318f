/**
 * Abusive queries are refused before they run: too deep (reference chains nested without end) or too
 * costly (lists of lists). Both answer with a clear GraphQL error.
 */
import { ASTVisitor, GraphQLError, GraphQLSchema, ValidationContext } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { getComplexity, simpleEstimator } from 'graphql-query-complexity';

export const MAX_DEPTH = 12;
export const MAX_COST = 5000;

export function depthLimit(maxDepth = MAX_DEPTH) {
  return (context: ValidationContext): ASTVisitor => {
    let depth = 0;
    return {
      Field: {
        enter(node) {
          depth++;
          if (depth > maxDepth) context.reportError(new GraphQLError(`Query is nested deeper than ${maxDepth} levels`, { nodes: [node] }));
        },
        leave() {
          depth--;
        },
      },
    };
  };
}

/** Cost is known only with the variables (page sizes), so it is checked once the operation is resolved. */
export function costLimitPlugin(maxCost = MAX_COST): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema }) {
          const cost = getComplexity({ schema, query: document, variables: request.variables ?? {}, estimators: [simpleEstimator({ defaultComplexity: 1 })] });
          if (cost > maxCost) throw new GraphQLError(`Query costs ${cost}, more than the allowed ${maxCost}; ask for fewer fields or smaller pages`, { extensions: { code: 'QUERY_TOO_COSTLY' } });
        },
      };
    },
  };
}
